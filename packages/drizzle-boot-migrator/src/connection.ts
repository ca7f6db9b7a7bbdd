import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { DriverSession, MigratorDriver } from "./driver/port.ts";
import { isTransient } from "./driver/port.ts";
import { postgresJsDriver } from "./driver/postgres-js.ts";
import { refuseSessionless } from "./driver/refusals.ts";
import { DriverError, describeError, MigrationError, PoolerUrlError } from "./errors.ts";
import { type Log, seconds } from "./log.ts";
import { describeTarget, directUrlFix, type MigratorSettings } from "./settings.ts";
import { connectRefusal, connectRetriesExhausted } from "./target-failures.ts";

/** In `pg_stat_activity`, names the machine and process (Postgres keeps 63 bytes). */
const migratorApplicationName = (prefix: string) =>
  `${prefix}@${hostname()}/${process.pid}`.slice(0, 63);

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

export interface MigratorConnection {
  /** The session; the caller closes it. */
  session: DriverSession;
  connectMs: number;
  /** `server_version`, as the server reported it on connecting. */
  serverVersion: string;
}

/**
 * The migrator's own session on `driver` (postgres.js by default): one connection for its reads
 * and its transaction. The timeouts are set inside the transaction (lock.ts). Retries an
 * unreachable database until `connectWaitMs`, logging each attempt. The caller closes the session.
 */
export async function openMigratorConnection(
  settings: MigratorSettings,
  log: Log,
  driver: MigratorDriver = postgresJsDriver(),
): Promise<MigratorConnection> {
  refuseSessionless(driver, "The driver option");
  const target = describeTarget(settings);
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      // A new client per attempt: one client spaces its reconnects by its own backoff (up to 20 s).
      const session = await driver.connect({
        url: settings.url,
        applicationName: migratorApplicationName(settings.applicationName),
        connectTimeoutSeconds: Math.min(10, Math.max(1, Math.ceil(settings.connectWaitMs / 1000))),
      });
      const serverVersion = String(session.parameters.server_version);
      return { session, connectMs: performance.now() - started, serverVersion };
    } catch (error) {
      // The driver refused what it was given (a pool without room): no retry changes that.
      if (error instanceof DriverError) throw error;
      const elapsed = performance.now() - started;
      const remaining = settings.connectWaitMs - elapsed;
      const reason = describeError(error);
      if (isPoolerRefusal(error)) {
        throw new PoolerUrlError(
          `${target} is a connection pooler that refused the connection: ${reason} (SQLSTATE ` +
            `${(error as { code?: unknown }).code}). The driver sends the URL's query parameters ` +
            `as startup parameters (postgres.js does): remove them from ${settings.urlVariable}. Or: ` +
            `${directUrlFix(settings)}.`,
          { cause: error },
        );
      }
      const refusal = connectRefusal(error, settings);
      if (refusal) throw refusal;
      if (!isTransient(error) || !driver.reconnects) {
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
