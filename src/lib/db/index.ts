import { type Env, readEnv } from "@/env";
import { getAppPool } from "./app-pool";
import { type DbConnection, withDrizzle } from "./client";
import type { Pool } from "./pool";

export { appPoolFor, appPoolOptions } from "./app-pool";

/** One drizzle instance per pool and bundle; the pool itself is one per process (./app-pool.ts). */
const connections = new WeakMap<Pool, DbConnection>();

/** The app's shared pool with drizzle over it. */
export function getDbConnection(env: Env = readEnv()): DbConnection {
  const pool = getAppPool(env);
  let connection = connections.get(pool);
  if (!connection) {
    connection = withDrizzle(pool);
    connections.set(pool, connection);
  }
  return connection;
}

export function getDb() {
  return getDbConnection().db;
}
