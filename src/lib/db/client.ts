import { drizzle } from "drizzle-orm/postgres-js";
import { createPool, type Pool, type PoolOptions } from "./pool";
import * as schema from "./schema";

/** A new pool with drizzle over it (`./pool.ts`); the caller closes it. */
export function createDbConnection(options: PoolOptions) {
  return withDrizzle(createPool(options));
}

/**
 * `pool` with a drizzle instance, built on first use: drizzle derives its relational config from
 * the whole schema (about 2 ms cold), which most scripts never use.
 */
export function withDrizzle(pool: Pool) {
  let db: ReturnType<typeof drizzle<typeof schema>> | undefined;
  return {
    ...pool,
    get db() {
      db ??= drizzle(pool.client, { schema });
      return db;
    },
  };
}

export type DbConnection = ReturnType<typeof createDbConnection>;
export type Database = DbConnection["db"];
