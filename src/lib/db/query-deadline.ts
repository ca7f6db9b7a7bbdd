import type postgres from "postgres";

/**
 * A deadline for every statement of a pool, enforced by the client. Postgres's own
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
 * Transactions get the same deadline per statement, and one for getting their connection: a
 * transaction that only gets a connection after its deadline runs nothing (its callback throws,
 * so it rolls back), since its caller was already told it failed.
 */
export class QueryDeadlineError extends Error {
  override name = "QueryDeadlineError";
  readonly code = "QUERY_DEADLINE";
}

type Sql = postgres.Sql<Record<string, never>> | postgres.TransactionSql<Record<string, never>>;
/** postgres.js settles a query through these two properties (its `Query` class). */
type SettledBy = { resolve: (value: unknown) => void; reject: (error: unknown) => void };

export function withQueryDeadline<T extends Sql>(sql: T, deadlineMs: number): T {
  const unsafe = (...args: Parameters<Sql["unsafe"]>) => {
    const query = sql.unsafe(...args);
    const settle = query as unknown as SettledBy;
    const { resolve, reject } = settle;
    const timer = setTimeout(() => {
      // A queued statement leaves the queue; a running one gets Postgres's cancel request.
      Promise.resolve(query.cancel() as unknown).catch(() => {});
      settle.reject(deadlineError(deadlineMs, args[0]));
    }, deadlineMs);
    // Not `query.finally(…)`: postgres.js starts a query on its first `then`, and drizzle still
    // has to ask for `.values()`.
    settle.resolve = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
    settle.reject = (error) => {
      clearTimeout(timer);
      reject(error);
    };
    return query;
  };
  const begin = (callback: (tx: postgres.TransactionSql<Record<string, never>>) => unknown) => {
    let late = false;
    const transaction = (sql as postgres.Sql<Record<string, never>>).begin((tx) => {
      if (late) throw deadlineError(deadlineMs, "BEGIN");
      return callback(withQueryDeadline(tx, deadlineMs));
    });
    return raceDeadline(transaction, deadlineMs, () => {
      late = true;
    });
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

/** `promise`, or a rejection once `deadlineMs` has passed while it waits for a connection. */
function raceDeadline<T>(promise: Promise<T>, deadlineMs: number, onLate: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onLate();
      reject(deadlineError(deadlineMs, "BEGIN"));
    }, deadlineMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
