/**
 * drizzle-orm's own `migrate()` on node-postgres and on Neon's serverless driver, for the
 * per-driver comparison (scenarios/drivers.ts): each opens and closes one connection as a booting
 * process does, the connect timed apart from `migrate()` as `timedSession` does for postgres.js.
 */
import { performance } from "node:perf_hooks";
import { Pool as NeonPool } from "@neondatabase/serverless";
import { drizzle as neonDrizzle } from "drizzle-orm/neon-serverless";
import { migrate as neonMigrate } from "drizzle-orm/neon-serverless/migrator";
import { drizzle as pgDrizzle } from "drizzle-orm/node-postgres";
import { migrate as pgMigrate } from "drizzle-orm/node-postgres/migrator";
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
