import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { createDbConnection, type DbConnection } from "../client";
import { MigrationError, PoolerUrlError, postgresFailureOf } from "./errors";
import { type Log, seconds } from "./log";
import { describeTarget, directUrlFix } from "./migrations-url";
import type { MigratorSettings } from "./settings";

/**
 * Shown in `pg_stat_activity`, so whoever looks at a held migration lock sees which machine and
 * process holds it. Postgres truncates application_name to 63 bytes.
 */
export function migratorApplicationName(): string {
  return `agency-reporting:migrator@${hostname()}/${process.pid}`.slice(0, 63);
}

/**
 * Errors worth retrying while a database comes up: network refusals and timeouts, a server still
 * starting or shutting down (57P03), or out of connection slots (53300). Wrong credentials or a
 * missing database will not fix themselves.
 */
function isTransient(error: unknown): boolean {
  const sqlState = postgresFailureOf(error)?.code;
  if (sqlState) return sqlState === "57P03" || sqlState === "53300" || sqlState.startsWith("08");
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EPIPE",
      "CONNECT_TIMEOUT",
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
    ].includes(code)
  );
}

/**
 * PgBouncer refuses a startup parameter it does not know (`unsupported startup parameter: x`,
 * SQLSTATE 08P01, sent without a severity, unlike Postgres's own errors). postgres.js sends the
 * URL's query parameters as startup parameters; the migrator itself sends only
 * application_name.
 */
function poolerRefusal(error: unknown): string | undefined {
  const { code, message, severity } = (error ?? {}) as Record<string, unknown>;
  const fromPooler = code === "08P01" && severity === undefined;
  if (!fromPooler && !/unsupported startup parameter/i.test(String(message))) return undefined;
  return `${String(message)} (SQLSTATE ${String(code)})`;
}

function describeConnectError(error: unknown): string {
  const failure = postgresFailureOf(error);
  if (failure) return `${failure.message} (SQLSTATE ${failure.code})`;
  return error instanceof Error ? error.message : String(error);
}

export interface MigratorConnection {
  connection: DbConnection;
  connectMs: number;
  /** The server's `server_version`, as it reported it on connecting. */
  serverVersion: string;
}

/**
 * The migrator's own session: one connection (`max: 1`), so its transaction, the ledger reads and
 * drizzle's `migrate()` all run on it. Nothing but application_name goes in the startup packet
 * (poolers reject what they do not know); the timeouts are set inside the migration transaction
 * (lock.ts). Retries a database that is not reachable yet until `connectWaitMs`, logging each
 * attempt. The caller closes the connection.
 */
export async function openMigratorConnection(
  settings: MigratorSettings,
  log: Log,
): Promise<MigratorConnection> {
  const target = describeTarget(settings);
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    // A new client per attempt: postgres.js spaces reconnects of one client by its own growing
    // backoff (up to 20 s), which would overrun our deadline and our log cadence.
    const connection = createDbConnection({
      url: settings.url,
      max: 1,
      applicationName: migratorApplicationName(),
      connectTimeoutSeconds: Math.min(10, Math.max(1, Math.ceil(settings.connectWaitMs / 1000))),
    });
    try {
      // reserve() opens the connection without sending a query; releasing keeps it open.
      const reserved = await connection.client.reserve();
      reserved.release();
      const serverVersion = String(connection.client.parameters.server_version ?? "unknown");
      return { connection, connectMs: performance.now() - started, serverVersion };
    } catch (error) {
      const elapsed = performance.now() - started;
      const remaining = settings.connectWaitMs - elapsed;
      const reason = describeConnectError(error);
      await connection.close();
      const refusal = poolerRefusal(error);
      if (refusal) {
        throw new PoolerUrlError(
          `${target} is a connection pooler that refused the connection: ${refusal}. ` +
            "postgres.js sends the URL's query parameters as startup parameters, which a pooler " +
            `rejects: remove them from ${settings.urlVariable}, or ${directUrlFix(settings.urlVariable)}.`,
          { cause: error },
        );
      }
      if (!isTransient(error) || remaining <= 0) {
        const why = isTransient(error)
          ? `still unreachable after ${attempt} attempt(s) in ${seconds(elapsed)} ` +
            `(MIGRATION_CONNECT_WAIT_MS=${settings.connectWaitMs}): ${reason}. Check that the ` +
            `database is running and that ${settings.urlVariable} points at it, or raise ` +
            "MIGRATION_CONNECT_WAIT_MS if it starts slowly."
          : `refused the connection: ${reason}. This will not fix itself: check the user, ` +
            `password and database name in ${settings.urlVariable}.`;
        throw new MigrationError("DATABASE_UNREACHABLE", `Database ${target} ${why}`, {
          cause: error,
          sqlState: postgresFailureOf(error)?.code,
        });
      }
      const delay = Math.min(250 * 2 ** (attempt - 1), 5_000, remaining);
      log(
        `[migrate] database ${target} not reachable (attempt ${attempt}: ${reason}); ` +
          `retrying in ${seconds(delay)}, giving up in ${seconds(remaining)}`,
      );
      await sleep(delay);
    }
  }
}
