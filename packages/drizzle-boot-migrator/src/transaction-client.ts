/**
 * drizzle's own instance for the driver in use (`drizzle-orm/postgres-js`, `node-postgres`,
 * `neon-serverless`, `pglite`), made to run every statement inside the migrator's locked transaction:
 * `migrate()` then writes the ledger exactly as that driver's migrator would. drizzle-orm 0.45
 * and 1.0 use their clients alike. Each driver's drizzle module is imported only for its own
 * driver (it imports the driver itself).
 */
import type { Logger } from "drizzle-orm/logger";
import type { Sql, TransactionSql } from "postgres";
import type { DriverTransaction } from "./driver/port.ts";

/** A drizzle instance: 0.45's dialect takes its session, 1.0's `migrate()` the instance. */
export interface DrizzleInTransaction {
  _: { session: unknown };
}

export interface SessionOptions {
  /** False once the transaction has ended (the connection was lost): drizzle must stop there. */
  inTransaction: () => boolean;
  logger?: Logger;
  /** Called where drizzle opens its batch's transaction. */
  onBegin?: () => void;
}

const ended = () => new Error("the migration transaction has ended");

/** drizzle's instance for `tx`'s driver, every statement of it in `tx`. */
export async function drizzleInTransaction(
  tx: DriverTransaction,
  options: SessionOptions,
): Promise<DrizzleInTransaction> {
  const config = options.logger ? { logger: options.logger } : {};
  const native = tx.native;
  if (native.driver === "postgres") {
    const { drizzle } = await import("drizzle-orm/postgres-js");
    return drizzle({ client: postgresJsInTransaction(native, options), ...config });
  }
  if (native.driver === "pglite") {
    const { drizzle } = await import("drizzle-orm/pglite");
    return drizzle({ client: pgliteInTransaction(native.tx, options) as never, ...config });
  }
  const client = nodePgInTransaction(native.client, options) as never;
  if (native.driver === "neon-serverless") {
    const { drizzle } = await import("drizzle-orm/neon-serverless");
    return drizzle({ client, ...config });
  }
  const { drizzle } = await import("drizzle-orm/node-postgres");
  return drizzle({ client, ...config });
}

/**
 * drizzle's postgres-js session opens its batch with `client.begin(fn)`, and otherwise uses only
 * `options` and `unsafe` of its client: this client runs `fn` in `tx` instead.
 */
function postgresJsInTransaction(
  native: { sql: unknown; tx: unknown },
  { inTransaction, onBegin }: SessionOptions,
): Sql {
  const sql = native.sql as Sql;
  const tx = native.tx as TransactionSql;
  interface ClientInTransaction {
    options: Sql["options"];
    unsafe: TransactionSql["unsafe"];
    begin: (work: (sql: ClientInTransaction) => unknown) => unknown;
  }
  const inside: ClientInTransaction = {
    options: sql.options,
    unsafe: (...args: Parameters<TransactionSql["unsafe"]>) => {
      if (!inTransaction()) throw ended();
      return tx.unsafe(...args);
    },
    begin: (work) => {
      onBegin?.();
      return work(inside);
    },
  };
  return inside as unknown as Sql;
}

/** The one member of a node-postgres client that drizzle's node-postgres session calls. */
interface NodePgQuery {
  query(config: { text: string }, values?: unknown[]): Promise<unknown>;
}

/**
 * drizzle's node-postgres and neon-serverless sessions open their batch by sending `begin` on
 * their client and end it with `commit` or `rollback`; here those three are the migrator's (the transaction is already
 * open, and the migrator commits or rolls it back), and every other statement runs on the client
 * whose transaction it is.
 */
function nodePgInTransaction(client: unknown, { inTransaction, onBegin }: SessionOptions) {
  const real = client as NodePgQuery;
  const empty = { command: null, rowCount: 0, rows: [], fields: [] };
  return {
    query(config: { text: string }, values?: unknown[]) {
      if (!inTransaction()) return Promise.reject(ended());
      const statement = config.text.trim().toLowerCase();
      if (statement === "begin") onBegin?.();
      if (statement === "begin" || statement === "commit" || statement === "rollback") {
        return Promise.resolve(empty);
      }
      return real.query(config, values);
    },
  } satisfies NodePgQuery;
}

/** The members of a PGlite instance that drizzle's pglite session calls. */
interface PgliteClient {
  query(text: string, params?: unknown[], options?: object): Promise<unknown>;
  transaction<T>(work: (tx: PgliteClient) => Promise<T>): Promise<T>;
}

/**
 * drizzle's pglite session runs its batch in `client.transaction(fn)`, its statements with
 * `query`: this client runs `fn` and every statement in the migrator's PGlite transaction `tx`.
 */
function pgliteInTransaction(
  tx: unknown,
  { inTransaction, onBegin }: SessionOptions,
): PgliteClient {
  const real = tx as Pick<PgliteClient, "query">;
  const inside: PgliteClient = {
    query: (...args) => (inTransaction() ? real.query(...args) : Promise.reject(ended())),
    transaction: (work) => {
      onBegin?.();
      return work(inside);
    },
  };
  return inside;
}
