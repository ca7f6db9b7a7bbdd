import type { Sql } from "postgres";
import { type Env, readEnv, requireEnv } from "@/env";
import { createPool, type Pool, type PoolOptions } from "./pool";

const globalForPool = globalThis as typeof globalThis & { appPool?: Pool };

/**
 * The app's shared pool, made on first use so that `next build` opens nothing. It is cached on
 * `globalThis` in every environment: `next dev` re-evaluates modules on each edit (a new pool per
 * edit would exhaust Postgres), and in production the instrumentation bundle and each route bundle
 * carry their own copy of this module, so a module-level variable would give one pool per bundle
 * rather than per process. Without drizzle (`./index.ts` adds it), so the boot check, which only
 * needs the client, does not load the ORM.
 */
export function getAppPool(env: Env = readEnv()): Pool {
  globalForPool.appPool ??= createPool(appPoolOptions(env));
  return globalForPool.appPool;
}

/** How the app's pool connects, from the environment. */
export function appPoolOptions(env: Env): PoolOptions {
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
  return url === env.DATABASE_URL ? getAppPool(env).client : undefined;
}
