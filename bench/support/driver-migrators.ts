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
import type { MigrateVariant } from "./migrators";

/** `migrate()` of `drizzle-orm/node-postgres` on a `Client` of its own. */
export const plainPg: MigrateVariant = async (url, migrationsFolder) => {
  const start = performance.now();
  const client = new pg.Client({ connectionString: url, application_name: "bench:plain-pg" });
  try {
    await client.connect();
    const connected = performance.now();
    await pgMigrate(pgDrizzle({ client }), { migrationsFolder });
    const done = performance.now();
    await client.end();
    return { totalMs: performance.now() - start, afterConnectMs: done - connected };
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
};

/**
 * `migrate()` of `drizzle-orm/neon-serverless` on a `Pool` of one connection (neonConfig as the
 * caller set it: the bench's local WebSocket proxy), opened first so the connect is timed apart.
 */
export const plainNeon: MigrateVariant = async (url, migrationsFolder) => {
  const start = performance.now();
  const pool = new NeonPool({
    connectionString: url,
    max: 1,
    application_name: "bench:plain-neon",
  });
  try {
    (await pool.connect()).release();
    const connected = performance.now();
    await neonMigrate(neonDrizzle({ client: pool }), { migrationsFolder });
    const done = performance.now();
    await pool.end();
    return { totalMs: performance.now() - start, afterConnectMs: done - connected };
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
};
