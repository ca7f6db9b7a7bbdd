/**
 * What the migrator refuses to run on, with the reason and what to use instead: a query function
 * that holds no session (Neon's HTTP `neon()`, `@vercel/postgres`'s `sql`), given where a driver
 * or a node-postgres pool or client was expected.
 */
import { DriverError } from "../errors.ts";

/** Throws `DRIVER_UNSUPPORTED` when `value`, given as `given`, is a query function. */
export function refuseSessionless(value: unknown, given: string): void {
  if (typeof value !== "function") return;
  throw new DriverError(
    "DRIVER_UNSUPPORTED",
    `${given} is a query function, such as Neon's HTTP driver (neon() of ` +
      "@neondatabase/serverless) or @vercel/postgres's sql: each query goes out as a request of " +
      "its own, so no session can hold the migration lock or keep a transaction across " +
      "statements. Give the migrator a connection: pgDriver(url) with the direct (non-pooled) " +
      "URL (Neon: the host without -pooler; Vercel: POSTGRES_URL_NON_POOLING), or pgDriver(pool) " +
      "with a node-postgres Pool.",
  );
}
