import type { Sql, TransactionSql } from "postgres";
import type { LockedTransaction } from "./lock.ts";

/** What drizzle's postgres-js session uses of its client (0.45 and 1.0 alike). */
export interface ClientInTransaction {
  options: Sql["options"];
  unsafe: TransactionSql["unsafe"];
  begin: (work: (sql: ClientInTransaction) => unknown) => unknown;
}

/**
 * A postgres.js client for drizzle whose every statement runs in `tx`, the migrator's locked
 * transaction. drizzle's `migrate()` opens its transactions with `client.begin(fn)`; this client
 * runs `fn` in `tx` instead (`onBegin` is told). Once `inTransaction()` is false (the connection
 * was lost) drizzle may still be running, and its next statement must fail rather than reach a
 * new session.
 */
export function clientInTransaction(
  { tx, inTransaction }: Pick<LockedTransaction, "tx" | "inTransaction">,
  client: Sql,
  onBegin?: () => void,
): ClientInTransaction {
  const inside: ClientInTransaction = {
    options: client.options,
    unsafe: (...args: Parameters<TransactionSql["unsafe"]>) => {
      if (!inTransaction()) throw new Error("the migration transaction has ended");
      return tx.unsafe(...args);
    },
    begin: (work) => {
      onBegin?.();
      return work(inside);
    },
  };
  return inside;
}
