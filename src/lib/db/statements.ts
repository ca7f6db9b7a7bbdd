import type postgres from "postgres";
import { addMissingMigrationHint } from "./missing-migration";

/**
 * What the client does around every statement of a pool:
 *
 * 1. Parameters stay out of error messages. drizzle wraps a failed statement's error as
 *    `Failed query: … params: <values>`, and the values include session tokens (every session
 *    lookup is `where token = $1`), which Next and Better Auth then print to the log. When a
 *    statement fails, its parameter array (the very array drizzle prints) is overwritten with a
 *    placeholder per value before drizzle sees the failure.
 *
 * 2. In development (optional), a statement that fails because a column or table does not exist
 *    gets, in Postgres's own message, the likely cause (a schema change no migration captures)
 *    and the command that fixes it: `next dev`'s error page shows that message
 *    (./missing-migration.ts).
 *
 * 3. A deadline (optional), enforced by the client. Postgres's own
 * `statement_timeout` would have to be sent as a startup parameter (PgBouncer refuses unknown ones)
 * or with `SET` (through a transaction pooler it lands on whichever server connection runs it,
 * and stays there for the next client); and it does nothing when the database or the network
 * stops answering, which is when pages hang. So when a statement passes its deadline:
 *
 * - postgres.js's `cancel()`: a statement still waiting for a pooled connection leaves the queue
 *   (requests do not pile up behind a dead pool); a running one is cancelled by Postgres's own
 *   cancel request on a separate connection, which PgBouncer forwards in every pool mode;
 * - the caller's promise rejects with `QueryDeadlineError` at once, whether or not the cancel got
 *   through, so a page renders its error within the deadline.
 *
 * Transactions get the same deadline per statement, one for getting their connection and one for
 * their COMMIT or ROLLBACK (`beginWithDeadlines`).
 */
export class QueryDeadlineError extends Error {
  override name = "QueryDeadlineError";
  readonly code = "QUERY_DEADLINE";
}

type Sql = postgres.Sql<Record<string, never>> | postgres.TransactionSql<Record<string, never>>;
/** postgres.js settles a query through these two properties (its `Query` class). */
type SettledBy = { resolve: (value: unknown) => void; reject: (error: unknown) => void };

/** What a failed statement's parameters read as in errors and logs. */
export const REDACTED_PARAMETER = "[parameter not logged]";

export interface GuardOptions {
  deadlineMs?: number;
  /** Adds the missing-migration hint to failures on a missing column or table. */
  explainMissingSchema?: boolean;
}

export function guardStatements<T extends Sql>(sql: T, options: GuardOptions): T {
  const { deadlineMs, explainMissingSchema } = options;
  const unsafe = (...args: Parameters<Sql["unsafe"]>) => {
    const query = sql.unsafe(...args);
    const settle = query as unknown as SettledBy;
    const { resolve, reject } = settle;
    const parameters = args[1];
    // Once set, the caller's error whatever else fails: cancelling a statement still in the queue
    // rejects it at once with postgres.js's own "canceling statement" error.
    let missedDeadline: QueryDeadlineError | undefined;
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            missedDeadline = deadlineError(deadlineMs, args[0]);
            // A queued statement leaves the queue; a running one gets Postgres's cancel request.
            Promise.resolve(query.cancel() as unknown).catch(() => {});
            settle.reject(missedDeadline);
          }, deadlineMs);
    // Not `query.finally(…)`: postgres.js starts a query on its first `then`, and drizzle still
    // has to ask for `.values()`.
    settle.resolve = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
    settle.reject = (error) => {
      clearTimeout(timer);
      if (Array.isArray(parameters)) parameters.fill(REDACTED_PARAMETER as never);
      if (explainMissingSchema) addMissingMigrationHint(error);
      reject(missedDeadline ?? error);
    };
    return query;
  };
  const begin = (callback: (tx: postgres.TransactionSql<Record<string, never>>) => unknown) => {
    const run = (tx: postgres.TransactionSql<Record<string, never>>) =>
      callback(guardStatements(tx, options));
    const sqlWithBegin = sql as postgres.Sql<Record<string, never>>;
    if (deadlineMs === undefined) return sqlWithBegin.begin(run);
    return beginWithDeadlines(sqlWithBegin, run, deadlineMs);
  };
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "unsafe") return unsafe;
      if (property === "begin" && "begin" in target) return begin;
      return Reflect.get(target, property, receiver);
    },
  });
}

function deadlineError(deadlineMs: number, statement: string): QueryDeadlineError {
  const what = statement.replace(/\s+/g, " ").slice(0, 60);
  return new QueryDeadlineError(
    `The database did not answer within ${deadlineMs} ms (DATABASE_STATEMENT_TIMEOUT_MS): ${what}…`,
  );
}

/**
 * A transaction whose caller hears within `deadlineMs` at each step the statement guard does not
 * cover: getting a connection and its BEGIN, then its COMMIT or ROLLBACK once the callback is
 * done. The time in between is the callback's own (each of its statements has the deadline), so a
 * long transaction of quick statements is not reported failed while it commits. A transaction
 * that only gets its connection after the deadline runs nothing, since its caller was already
 * told it failed.
 */
function beginWithDeadlines(
  sql: postgres.Sql<Record<string, never>>,
  run: (tx: postgres.TransactionSql<Record<string, never>>) => unknown,
  deadlineMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let late = false;
    const failAt = (step: string) =>
      setTimeout(() => {
        late = true;
        reject(deadlineError(deadlineMs, step));
      }, deadlineMs);
    let timer = failAt("BEGIN");
    sql
      .begin(async (tx) => {
        if (late) throw deadlineError(deadlineMs, "BEGIN");
        clearTimeout(timer);
        try {
          return await run(tx);
        } finally {
          timer = failAt("COMMIT or ROLLBACK");
        }
      })
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}
