/**
 * drizzle-orm's own `migrate()` on node-postgres and on Neon's serverless driver, for the
 * per-driver comparison (scenarios/drivers.ts): each opens and closes one connection as a booting
 * process does, the connect timed apart from `migrate()` as `timedSession` does for postgres.js.
 * On PGlite there is no connection: both migrators work on an instance already open.
 */
import { performance } from "node:perf_hooks";
import type { PGlite } from "@electric-sql/pglite";
import { Pool as NeonPool } from "@neondatabase/serverless";
import { migratorSettings, runMigrator, silentLog } from "drizzle-boot-migrator";
import { pgliteDriver } from "drizzle-boot-migrator/pglite";
import { drizzle as neonDrizzle } from "drizzle-orm/neon-serverless";
import { migrate as neonMigrate } from "drizzle-orm/neon-serverless/migrator";
import { drizzle as pgDrizzle } from "drizzle-orm/node-postgres";
import { migrate as pgMigrate } from "drizzle-orm/node-postgres/migrator";
import { drizzle as pgliteDrizzle } from "drizzle-orm/pglite";
import { migrate as pgliteMigrate } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { MigrateTiming, MigrateVariant } from "./migrators";

/** `connect`, then `work` (timed on its own), then `close`, also when one of them throws. */
async function timed(
  connect: () => Promise<unknown>,
  work: () => Promise<unknown>,
  close: () => Promise<unknown>,
): Promise<MigrateTiming> {
  const start = performance.now();
  try {
    await connect();
    const connected = performance.now();
    await work();
    const done = performance.now();
    await close();
    return { totalMs: performance.now() - start, afterConnectMs: done - connected };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** `migrate()` of `drizzle-orm/node-postgres` on a `Client` of its own. */
export const plainPg: MigrateVariant = (url, migrationsFolder) => {
  const client = new pg.Client({ connectionString: url, application_name: "bench:plain-pg" });
  return timed(
    () => client.connect(),
    () => pgMigrate(pgDrizzle({ client }), { migrationsFolder }),
    () => client.end(),
  );
};

/**
 * `migrate()` of `drizzle-orm/neon-serverless` on a `Pool` of one connection (neonConfig as the
 * caller set it: the bench's local WebSocket proxy), its connection opened first.
 */
export const plainNeon: MigrateVariant = (url, migrationsFolder) => {
  const pool = new NeonPool({
    connectionString: url,
    max: 1,
    application_name: "bench:plain-neon",
  });
  return timed(
    async () => (await pool.connect()).release(),
    () => neonMigrate(neonDrizzle({ client: pool }), { migrationsFolder }),
    () => pool.end(),
  );
};

/**
 * The migrator (`pgliteDriver(db)`, the package's default settings: PGlite has no URL for the
 * app's environment to name) and drizzle-orm's `migrate()` of `drizzle-orm/pglite`, both on `db`;
 * the `url` argument is ignored. `afterConnectMs` is the whole run: there is nothing to connect.
 */
export function pgliteMigrators(db: PGlite): { ours: MigrateVariant; plain: MigrateVariant } {
  const timedRun = async (work: () => Promise<unknown>): Promise<MigrateTiming> => {
    const start = performance.now();
    await work();
    const totalMs = performance.now() - start;
    return { totalMs, afterConnectMs: totalMs };
  };
  return {
    ours: (_url, migrationsFolder) =>
      timedRun(() =>
        runMigrator(migratorSettings({ url: "pglite://bench", migrationsFolder }), {
          mode: "apply",
          log: silentLog,
          driver: pgliteDriver(db),
        }),
      ),
    plain: (_url, migrationsFolder) =>
      timedRun(() => pgliteMigrate(pgliteDrizzle({ client: db }), { migrationsFolder })),
  };
}
