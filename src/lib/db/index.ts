import type { Sql } from "postgres";
import { type Env, readEnv, requireEnv } from "@/env";
import { createDbConnection, type DbConnection, type DbConnectionOptions } from "./client";

const globalForDb = globalThis as typeof globalThis & { appDbConnection?: DbConnection };

/**
 * The app's shared pool, made on first use so that `next build` opens nothing. It is cached on
 * `globalThis` in every environment: `next dev` re-evaluates modules on each edit (a new pool per
 * edit would exhaust Postgres), and in production each route bundle carries its own copy of this
 * module, so a module-level variable would still give one pool per bundle rather than per process.
 */
export function getDbConnection(env: Env = readEnv()): DbConnection {
  globalForDb.appDbConnection ??= createDbConnection(appPoolOptions(env));
  return globalForDb.appDbConnection;
}

/** How the app's pool connects, from the environment. */
export function appPoolOptions(env: Env): DbConnectionOptions {
  return {
    url: requireEnv("DATABASE_URL", env),
    max: env.DATABASE_POOL_MAX,
    transactionPooler:
      env.DATABASE_POOLER === undefined ? undefined : env.DATABASE_POOLER === "transaction",
    applicationName: "agency-reporting:app",
    // A database that stops answering gives pages an error within these bounds, not a hang.
    connectTimeoutSeconds: env.DATABASE_CONNECT_TIMEOUT_MS / 1000,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    explainMissingSchema: env.NODE_ENV === "development",
  };
}

/**
 * The app's pool when `url` is the app's own DATABASE_URL, else undefined: the boot's up-to-date
 * check then runs on a connection the pool keeps for the first request (runMigrator's `appPool`).
 */
export function appPoolFor(url: string, env: Env = readEnv()): Sql | undefined {
  return url === env.DATABASE_URL ? getDbConnection(env).client : undefined;
}

export function getDb() {
  return getDbConnection().db;
}
