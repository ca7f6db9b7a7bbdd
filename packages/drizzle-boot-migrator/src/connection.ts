import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import postgres, { type Sql } from "postgres";
import { describeError, MigrationError, PoolerUrlError, postgresFailureOf } from "./errors.ts";
import { type Log, seconds } from "./log.ts";
import { withoutClientMarkers } from "./pooler.ts";
import { describeTarget, directUrlFix, type MigratorSettings } from "./settings.ts";
import { connectRefusal, connectRetriesExhausted } from "./target-failures.ts";

/** In `pg_stat_activity`, names the machine and process (Postgres keeps 63 bytes). */
const migratorApplicationName = (prefix: string) =>
  `${prefix}@${hostname()}/${process.pid}`.slice(0, 63);

/**
 * Worth retrying while a database comes up: the network, a server starting or shutting down
 * (57P03, class 08) or out of connection slots (53300). Wrong credentials or a missing database
 * will not fix themselves.
 */
function isTransient(error: unknown): boolean {
  const sqlState = postgresFailureOf(error)?.code;
  if (sqlState) return sqlState === "57P03" || sqlState === "53300" || sqlState.startsWith("08");
  const code = String((error as { code?: unknown } | null)?.code);
  return /^(E(CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|PIPE)|CONNECT_TIMEOUT|CONNECTION_(CLOSED|ENDED|DESTROYED))$/.test(
    code,
  );
}

/**
 * PgBouncer refuses a startup parameter it does not know (`unsupported startup parameter: x`,
 * SQLSTATE 08P01, without the severity Postgres's own errors have).
 */
function isPoolerRefusal(error: unknown): boolean {
  const { code, message, severity } = (error ?? {}) as Record<string, unknown>;
  return (
    (code === "08P01" && severity === undefined) ||
    /unsupported startup parameter/i.test(String(message))
  );
}

/** The migrator's client, closed by whoever opened it. */
export interface MigratorClient {
  client: Sql;
  close(): Promise<void>;
}

/**
 * A postgres.js client of one connection to `url`. Its startup packet carries nothing but
 * application_name (poolers refuse what they do not know); nothing is prepared, since a
 * transaction pooler it cannot recognise (PgBouncer on a plain URL) may run each of its
 * transactions (one per lock-wait slice) on another server connection, where a statement
 * prepared in an earlier one does not exist (26000).
 */
function createClient(options: {
  url: string;
  applicationName: string;
  connectTimeoutSeconds: number;
}): MigratorClient {
  const client = postgres(withoutClientMarkers(options.url), {
    max: 1,
    connect_timeout: options.connectTimeoutSeconds,
    onnotice: () => {},
    prepare: false,
    connection: { application_name: options.applicationName },
  });
  return { client, close: () => client.end({ timeout: 5 }) };
}

export interface MigratorConnection {
  connection: MigratorClient;
  connectMs: number;
  /** `server_version`, as the server reported it on connecting. */
  serverVersion: string;
}

/**
 * The migrator's own session: one connection (`max: 1`) for its reads and its transaction. Its
 * startup packet carries nothing but application_name (poolers refuse what they do not know); the
 * timeouts are set inside the transaction (lock.ts). Retries an unreachable database until
 * `connectWaitMs`, logging each attempt. The caller closes the connection.
 */
export async function openMigratorConnection(
  settings: MigratorSettings,
  log: Log,
): Promise<MigratorConnection> {
  const target = describeTarget(settings);
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    // A new client per attempt: one client spaces its reconnects by its own backoff (up to 20 s).
    const connection = createClient({
      url: settings.url,
      applicationName: migratorApplicationName(settings.applicationName),
      connectTimeoutSeconds: Math.min(10, Math.max(1, Math.ceil(settings.connectWaitMs / 1000))),
    });
    try {
      // reserve() connects without sending a query; releasing keeps the connection open.
      (await connection.client.reserve()).release();
      const serverVersion = String(connection.client.parameters.server_version);
      return { connection, connectMs: performance.now() - started, serverVersion };
    } catch (error) {
      await connection.close();
      const elapsed = performance.now() - started;
      const remaining = settings.connectWaitMs - elapsed;
      const reason = describeError(error);
      if (isPoolerRefusal(error)) {
        throw new PoolerUrlError(
          `${target} is a connection pooler that refused the connection: ${reason} (SQLSTATE ` +
            `${(error as { code?: unknown }).code}). postgres.js sends the URL's query parameters ` +
            `as startup parameters: remove them from ${settings.urlVariable}. Or: ` +
            `${directUrlFix(settings)}.`,
          { cause: error },
        );
      }
      const refusal = connectRefusal(error, settings);
      if (refusal) throw refusal;
      if (!isTransient(error)) {
        throw new MigrationError(
          "DATABASE_UNREACHABLE",
          `Database ${target} refused the connection: ${reason}. This will not fix itself: ` +
            `check the user, password and database name in ${settings.urlVariable}.`,
          { cause: error },
        );
      }
      if (remaining <= 0) throw connectRetriesExhausted(error, settings, attempt, elapsed);
      const delay = Math.min(250 * 2 ** (attempt - 1), 5_000, remaining);
      log.warn(
        "migrate.connect_retry",
        `database ${target} not reachable (attempt ${attempt}: ${reason}); ` +
          `retrying in ${seconds(delay)}, giving up in ${seconds(remaining)}`,
        { attempt, reason, retryInMs: delay, giveUpInMs: remaining },
      );
      await sleep(delay);
    }
  }
}
