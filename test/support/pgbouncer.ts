import { type PoolMode, type RunningPgBouncer, startPgBouncer } from "@tools/pooler/pgbouncer";
import postgres from "postgres";
import { withSql } from "./migrator";
import { poolerForFile } from "./pooler";

/**
 * Debian's PgBouncer, default settings unless `settings` says otherwise, in front of this run's
 * Postgres: one per suite and pool mode (./pooler.ts). Declare the suite with
 * `needs("pgbouncer")` (./system-tools.ts).
 */
export function pgbouncerForFile(
  poolMode: PoolMode,
  settings: { defaultPoolSize?: number } = {},
): { readonly current: RunningPgBouncer } {
  return poolerForFile((upstreamUrl) => startPgBouncer({ upstreamUrl, poolMode, ...settings }));
}

/** The session settings a migrator might leave behind on a pooled server connection. */
export const SESSION_SETTINGS = [
  "lock_timeout",
  "statement_timeout",
  "idle_in_transaction_session_timeout",
  "idle_session_timeout",
  "client_connection_check_interval",
  "search_path",
] as const;

type Settings = Record<(typeof SESSION_SETTINGS)[number], string>;

function readSettings(sql: postgres.Sql | postgres.TransactionSql) {
  return sql<(Settings & { pid: number })[]>`
    select pg_backend_pid() as pid, ${sql.unsafe(
      SESSION_SETTINGS.map((name) => `current_setting('${name}') as ${name}`).join(", "),
    )}`;
}

/** What a fresh session on the server gets: the values nothing has changed. */
export async function serverDefaultSettings(directUrl: string): Promise<Settings> {
  return withSql(directUrl, async (sql) => {
    const [row] = await readSettings(sql);
    if (!row) throw new Error("no settings row");
    const { pid: _pid, ...settings } = row;
    return settings;
  });
}

/** Backend pids of PgBouncer's server connections to `database` (its admin console, SHOW SERVERS). */
export async function pooledServerPids(
  bouncer: RunningPgBouncer,
  directUrl: string,
): Promise<number[]> {
  const database = new URL(directUrl).pathname.slice(1);
  const adminUrl = new URL(bouncer.urlFor(directUrl));
  adminUrl.pathname = "/pgbouncer";
  // The admin console speaks the simple query protocol only and has no pg_type to look up.
  const admin = postgres(adminUrl.toString(), { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    const servers = await admin
      .unsafe<{ database: string; remote_pid: number }[]>("SHOW SERVERS")
      .simple();
    return servers.filter((server) => server.database === database).map((s) => s.remote_pid);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * The session settings of every server connection PgBouncer holds for the database: as many
 * clients as it has server connections each open a transaction at the same moment, so each holds
 * a different server connection (PgBouncer hands out idle ones before opening new ones). Returns
 * the pids seen, to check that every pooled connection was reached.
 */
export async function settingsOnPooledConnections(
  bouncer: RunningPgBouncer,
  directUrl: string,
): Promise<{ pooledPids: number[]; seen: (Settings & { pid: number })[] }> {
  const pooledPids = await pooledServerPids(bouncer, directUrl);
  const clients = Math.max(pooledPids.length, 1);
  const sql = postgres(bouncer.urlFor(directUrl), {
    max: clients,
    prepare: false,
    onnotice: () => {},
  });
  try {
    let arrived = 0;
    let release: () => void = () => {};
    const allInside = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen = await Promise.all(
      Array.from({ length: clients }, () =>
        sql.begin(async (tx) => {
          const [row] = await readSettings(tx);
          arrived += 1;
          if (arrived === clients) release();
          await allInside;
          if (!row) throw new Error("no settings row");
          return row;
        }),
      ),
    );
    return { pooledPids, seen };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Advisory locks held or awaited on the database, whoever holds them. */
export function advisoryLocks(directUrl: string): Promise<{ pid: number; key: string }[]> {
  return withSql(directUrl, async (sql) => [
    ...(await sql<{ pid: number; key: string }[]>`
      select pid, classid || ':' || objid || ':' || objsubid as key from pg_locks
      where locktype = 'advisory'
        and database = (select oid from pg_database where datname = current_database())`),
  ]);
}
