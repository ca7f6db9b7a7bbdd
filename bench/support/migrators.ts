import { performance } from "node:perf_hooks";
import { type MigratorDriver, runMigrator, silentLog } from "drizzle-boot-migrator";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { parseEnv } from "@/env";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { migratorSettingsFromEnv } from "@/lib/db/migrator-settings";

export interface MigrateTiming {
  /** From creating the connection to having closed it: what a booting process waits for. */
  totalMs: number;
  /** The part after the connection is open and before it is closed: the migrator's own work. */
  afterConnectMs: number;
}

/**
 * A way for a server to bring its database up to date at boot, opening and closing its own single
 * connection as a booting process does.
 */
export type MigrateVariant = (url: string, migrationsFolder: string) => Promise<MigrateTiming>;

/**
 * This project's migrator, as boot and `npm run db:migrate` call it, its session on `driver()`
 * (postgres.js, the default, when absent).
 */
export function oursOn(driver?: () => MigratorDriver): MigrateVariant {
  return async (url, migrationsFolder) => {
    const settings = migratorSettingsFromEnv(parseEnv({ MIGRATIONS_DATABASE_URL: url }), {
      migrationsFolder,
    });
    const start = performance.now();
    const report = await runMigrator(settings, {
      mode: "apply",
      log: silentLog,
      ...(driver ? { driver: driver() } : {}),
    });
    const totalMs = performance.now() - start;
    return { totalMs, afterConnectMs: report.durationMs - report.connectMs };
  };
}

export const ours: MigrateVariant = oursOn();

/** drizzle-orm's `migrate()` as its docs show it: no lock, no validation. */
export const plain: MigrateVariant = (url, migrationsFolder) =>
  timedSession(url, "bench:plain", (connection) => migrate(connection.db, { migrationsFolder }));

/** An arbitrary constant: the hand-written pattern picks one and hard-codes it. */
const HAND_WRITTEN_LOCK_KEY = 72_707_369;

/**
 * The usual hand-written fix for concurrent boots: `migrate()` between a blocking
 * `pg_advisory_lock` and its unlock, on one connection (`max: 1`) so both land in one session.
 * Every boot takes the lock, also when nothing is pending.
 */
export const plainLocked: MigrateVariant = (url, migrationsFolder) =>
  timedSession(url, "bench:plain-locked", async (connection) => {
    await connection.client`select pg_advisory_lock(${HAND_WRITTEN_LOCK_KEY})`;
    try {
      await migrate(connection.db, { migrationsFolder });
    } finally {
      await connection.client`select pg_advisory_unlock(${HAND_WRITTEN_LOCK_KEY})`;
    }
  });

/**
 * Opens a one-connection client the way the migrator does (postgres.js `reserve()` connects
 * without sending a query, so the connect can be timed on its own), runs `work` on it, closes it.
 */
async function timedSession(
  url: string,
  applicationName: string,
  work: (connection: DbConnection) => Promise<unknown>,
): Promise<MigrateTiming> {
  const start = performance.now();
  const connection = createDbConnection({ url, max: 1, applicationName });
  try {
    const reserved = await connection.client.reserve();
    reserved.release();
    const connected = performance.now();
    await work(connection);
    const done = performance.now();
    await connection.close();
    return { totalMs: performance.now() - start, afterConnectMs: done - connected };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** The migrator's own "total N ms" from the last of its log lines in `output`, if any. */
export function loggedTotalMs(output: string): number | undefined {
  const last = [...output.matchAll(/\btotal (\d+) ms\)/g)].at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
}
