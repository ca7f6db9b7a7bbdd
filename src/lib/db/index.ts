import { readEnv, requireEnv } from "@/env";
import { createDbConnection, type DbConnection } from "./client";

const globalForDb = globalThis as typeof globalThis & { appDbConnection?: DbConnection };

/**
 * The app's shared pool, made on first use so that `next build` opens nothing. It is cached on
 * `globalThis` in every environment: `next dev` re-evaluates modules on each edit (a new pool per
 * edit would exhaust Postgres), and in production each route bundle carries its own copy of this
 * module, so a module-level variable would still give one pool per bundle rather than per process.
 */
export function getDbConnection(): DbConnection {
  if (!globalForDb.appDbConnection) {
    const env = readEnv();
    globalForDb.appDbConnection = createDbConnection({
      url: requireEnv("DATABASE_URL", env),
      max: env.DATABASE_POOL_MAX,
      transactionPooler:
        env.DATABASE_POOLER === undefined ? undefined : env.DATABASE_POOLER === "transaction",
      applicationName: "agency-reporting:app",
    });
  }
  return globalForDb.appDbConnection;
}

export function getDb() {
  return getDbConnection().db;
}
