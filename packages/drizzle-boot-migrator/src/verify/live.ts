/**
 * The live database, read and never written: each read is one short read-only transaction, with
 * its timeouts set inside it (a pooler refuses them as startup parameters, and a transaction
 * pooler keeps one transaction on one server connection), on a single connection without prepared
 * statements. So it works on a primary, a read replica, and through PgBouncer in transaction mode.
 */

import postgres, { type Sql, type TransactionSql } from "postgres";
import { postgresJsQueryable } from "../driver/postgres-js.ts";
import { type LedgerRow, readLedger } from "../drizzle-0.45/format.ts";
import type { MigrationSet, MigratorSettings } from "../settings.ts";

export interface ReadTimeouts {
  /** `statement_timeout` of each read. */
  statementMs: number;
  /** `lock_timeout`: a catalog read waits no longer behind a migration's exclusive lock. */
  lockMs: number;
  /** `idle_in_transaction_session_timeout`: a stalled client does not hold its snapshot. */
  idleInTransactionMs: number;
  connectSeconds: number;
}

export const DEFAULT_READ_TIMEOUTS: ReadTimeouts = {
  statementMs: 30_000,
  lockMs: 5_000,
  idleInTransactionMs: 30_000,
  connectSeconds: 10,
};

/**
 * The reads bounded as the migrator is: a catalog read waits no longer for a table lock than a
 * migration does, and holds its snapshot idle no longer.
 */
export function readTimeoutsOf(
  settings: Pick<
    MigratorSettings,
    "lockTimeoutMs" | "idleInTransactionTimeoutMs" | "connectWaitMs"
  >,
): Partial<ReadTimeouts> {
  return {
    lockMs: settings.lockTimeoutMs,
    idleInTransactionMs: settings.idleInTransactionTimeoutMs,
    connectSeconds: Math.min(10, Math.max(1, Math.ceil(settings.connectWaitMs / 1000))),
  };
}

export interface LiveConnection {
  /**
   * `work` in one read-only, repeatable-read transaction (one snapshot for everything it reads),
   * with the timeouts set for that transaction only.
   */
  read<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function openLive(
  url: string,
  timeouts: ReadTimeouts,
  applicationName: string,
): LiveConnection {
  const sql: Sql = postgres(url, {
    max: 1,
    prepare: false,
    connect_timeout: timeouts.connectSeconds,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
  return {
    read: (work) =>
      sql.begin("isolation level repeatable read read only", async (tx) => {
        await tx`select set_config('statement_timeout', ${String(timeouts.statementMs)}, true),
          set_config('lock_timeout', ${String(timeouts.lockMs)}, true),
          set_config('idle_in_transaction_session_timeout',
            ${String(timeouts.idleInTransactionMs)}, true)`;
        return work(tx);
      }) as Promise<never>,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Each set's ledger rows, read in `tx`. */
export async function readLedgers(
  tx: TransactionSql,
  sets: MigrationSet[],
): Promise<LedgerRow[][]> {
  const ledgers: LedgerRow[][] = [];
  for (const set of sets)
    ledgers.push(await readLedger(postgresJsQueryable(tx), set.ledger, { inTransaction: true }));
  return ledgers;
}

/** `server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`, and its major. */
export async function readServerVersion(
  tx: TransactionSql,
): Promise<{ version: string; major: number }> {
  const [row] = await tx<{ version: string; num: number }[]>`
    select current_setting('server_version') as version,
      current_setting('server_version_num')::int as num`;
  if (!row) throw new Error("the server did not say its version");
  return { version: row.version, major: Math.floor(row.num / 10_000) };
}

/** Schemas other than Postgres's own. */
export async function userSchemas(tx: TransactionSql): Promise<string[]> {
  const rows = await tx<{ name: string }[]>`
    select nspname as name from pg_namespace
    where nspname !~ '^pg_' and nspname <> 'information_schema' order by 1`;
  return rows.map((row) => row.name);
}
