/**
 * The postgres.js (`postgres`) adapter of the driver port. `postgres` is imported when a session
 * opens, so that a project without it (on node-postgres) never loads it.
 */
import type { ReservedSql, Sql, TransactionSql } from "postgres";
import { withoutClientMarkers } from "../pooler.ts";
import type { DriverSession, MigratorDriver, Queryable } from "./port.ts";

/** The port's `query` over a postgres.js client, reserved connection or transaction. */
export function postgresJsQueryable(sql: Sql | ReservedSql | TransactionSql): Queryable {
  return {
    query: async <Row extends object>(text: string, params: readonly unknown[] = []) =>
      (await sql.unsafe(text, params as never[])) as unknown as Row[],
  };
}

/** What the server reported on connecting to `sql` (postgres.js types a few of them). */
export const postgresJsParameters = (sql: Sql) =>
  sql.parameters as unknown as Readonly<Record<string, string | undefined>>;

/** A session over `sql`, a client of one connection; `close` ends it as `end` says. */
export function postgresJsSession(sql: Sql, end: () => Promise<void>): DriverSession {
  return {
    driver: "postgres",
    ...postgresJsQueryable(sql),
    transaction: <T>(
      work: (tx: Parameters<Parameters<DriverSession["transaction"]>[0]>[0]) => Promise<T>,
    ) =>
      sql.begin((tx) =>
        work({ ...postgresJsQueryable(tx), native: { driver: "postgres", sql, tx } }),
      ) as Promise<T>,
    simple: async (text) => {
      await sql.unsafe(text).simple();
    },
    get parameters() {
      return postgresJsParameters(sql);
    },
    // postgres.js would write a rollback to a dead socket and crash (porsager/postgres#1208); an
    // ended client fails that rollback instead.
    abort: () => sql.end({ timeout: 0 }),
    close: end,
  };
}

/**
 * The migrator's session on postgres.js: a client of one connection to the target's URL. Its
 * startup packet carries nothing but application_name (poolers refuse what they do not know);
 * nothing is prepared, since a transaction pooler it cannot recognise (PgBouncer on a plain URL)
 * may run each of its transactions (one per lock-wait slice) on another server connection, where
 * a statement prepared in an earlier one does not exist (26000).
 */
export function postgresJsDriver(): MigratorDriver {
  return {
    name: "postgres",
    reconnects: true,
    async connect(target) {
      const { default: postgres } = await import("postgres");
      const sql = postgres(withoutClientMarkers(target.url), {
        max: 1,
        connect_timeout: target.connectTimeoutSeconds,
        onnotice: () => {},
        prepare: false,
        connection: { application_name: target.applicationName },
      });
      try {
        // reserve() connects without sending a query; releasing keeps the connection open.
        (await sql.reserve()).release();
      } catch (error) {
        await sql.end({ timeout: 5 });
        throw error;
      }
      return postgresJsSession(sql, () => sql.end({ timeout: 5 }));
    },
  };
}
