import type postgres from "postgres";
import type { ConnectionGate, GateTicket } from "./connection-gate";
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
 *
 * 4. A connection gate (optional, the pool's): each statement and each transaction waits for a slot
 *    of its own (./connection-gate.ts), so postgres.js never pipelines. A unit that missed its
 *    deadline and is still not settled `CANCEL_GRACE_MS` later (the cancel got no answer: a lost
 *    reply, a dead network path) has a wedged connection: its client is replaced
 *    (./replaceable-client.ts) and its slot freed, so the pool recovers within one deadline.
 */
export class QueryDeadlineError extends Error {
  override name = "QueryDeadlineError";
  readonly code = "QUERY_DEADLINE";
}

type Sql = postgres.Sql<Record<string, never>>;
type TransactionSql = postgres.TransactionSql<Record<string, never>>;
type AnySql = Sql | TransactionSql;

/**
 * What postgres.js keeps on each query (its `Query` class) and this module takes over: it settles
 * a query through `resolve`/`reject`, and hands it to its client's connections with `handler` on
 * its first `then`.
 */
interface QueryInternals {
  args: unknown[];
  handler: (query: QueryInternals) => void;
  canceller: ((query: QueryInternals) => void) | null;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cancel(): unknown;
}

/** What a failed statement's parameters read as in errors and logs. */
export const REDACTED_PARAMETER = "[parameter not logged]";

/**
 * How long a unit that missed its deadline may take to settle once cancelled before its connection
 * counts as wedged. A cancel that reaches Postgres ends the statement within a round trip or two;
 * one that gets no answer at all means the connection itself is lost.
 */
export const CANCEL_GRACE_MS = 1_000;

export interface GuardOptions {
  deadlineMs?: number;
  /** Adds the missing-migration hint to failures on a missing column or table. */
  explainMissingSchema?: boolean;
}

/** Where a guarded client sends its work. */
export interface StatementTarget<T extends AnySql> {
  /** The client to use now: the pool's current one, or a transaction's own. */
  current(): T;
  /** The pool's slots, one per connection. A transaction's statements share its connection. */
  gate?: ConnectionGate;
  /** Told of a client one of whose connections stopped answering. */
  wedged?(client: T): void;
}

export function guardStatements<T extends AnySql>(
  target: StatementTarget<T>,
  options: GuardOptions,
): T {
  const guard = <Q>(query: Q, statement: string): Q => {
    guardQuery(query as unknown as QueryInternals, statement, target, options);
    return query;
  };
  const unsafe = (...args: Parameters<AnySql["unsafe"]>) =>
    guard(target.current().unsafe(...args), args[0]);
  const begin = (callback: (tx: TransactionSql) => unknown) =>
    guardedBegin(
      target as unknown as StatementTarget<Sql>,
      (tx) => callback(guardStatements({ current: () => tx }, options)),
      options.deadlineMs,
    );
  const initial = target.current();
  return new Proxy(initial, {
    apply(_initial, thisArg, args: unknown[]) {
      // Tagged templates: sql`select …`. Called with a plain string or value, postgres.js returns
      // an identifier or a fragment, which is not a statement.
      const result: unknown = Reflect.apply(target.current(), thisArg, args);
      return isQuery(result) ? guard(result, (args[0] as string[]).join("$?")) : result;
    },
    get(_initial, property) {
      if (property === "unsafe") return unsafe;
      if (property === "begin" && "begin" in initial) return begin;
      if (property === "reserve" && target.gate) return () => reserveSlot(target);
      const client = target.current();
      return Reflect.get(client, property, client);
    },
  });
}

function isQuery(value: unknown): value is QueryInternals {
  return (
    value instanceof Promise && typeof (value as Partial<QueryInternals>).handler === "function"
  );
}

/** The handler and canceller a client's own queries carry, read from one query it never runs. */
const ownInternals = new WeakMap<AnySql, Pick<QueryInternals, "handler" | "canceller">>();

/** Hands `query` to `client`'s connections, whichever client made it. */
function runOn(client: AnySql, query: QueryInternals) {
  let own = ownInternals.get(client);
  if (!own) {
    const probe = client.unsafe("") as unknown as QueryInternals;
    own = { handler: probe.handler, canceller: probe.canceller };
    ownInternals.set(client, own);
  }
  query.canceller = own.canceller;
  own.handler(query);
}

function guardQuery<T extends AnySql>(
  query: QueryInternals,
  statement: string,
  target: StatementTarget<T>,
  options: GuardOptions,
) {
  const { deadlineMs, explainMissingSchema } = options;
  const { resolve, reject } = query;
  const parameters = query.args;
  const { gate } = target;
  // The client running it; with a gate, set once it has a slot (until then it runs nowhere).
  let client: T | undefined = gate ? undefined : target.current();
  let ticket: GateTicket | undefined;
  let settled = false;
  let missedDeadline: QueryDeadlineError | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;

  /** postgres.js is done with it (or it never reached postgres.js): its slot is free. */
  const settle = () => {
    settled = true;
    clearTimeout(deadlineTimer);
    clearTimeout(graceTimer);
    ticket?.leave();
  };
  /** Once missed, the deadline is the caller's error, whatever else fails. */
  const failCaller = (error: unknown) => {
    if (Array.isArray(parameters)) parameters.fill(REDACTED_PARAMETER);
    if (explainMissingSchema) addMissingMigrationHint(error);
    reject(missedDeadline ?? error);
  };
  // Not `query.finally(…)`: postgres.js starts a query on its first `then`, and drizzle still
  // has to ask for `.values()`.
  query.resolve = (value) => {
    settle();
    resolve(value);
  };
  query.reject = (error) => {
    settle();
    failCaller(error);
  };
  if (gate) {
    query.handler = () => {
      if (settled) return;
      ticket = gate.enter();
      void ticket.granted.then(() => {
        if (settled) return;
        client = target.current();
        runOn(client, query);
      });
    };
  }
  if (deadlineMs === undefined) return;
  deadlineTimer = setTimeout(() => {
    missedDeadline = deadlineError(deadlineMs, statement);
    if (!client) {
      // Still waiting for a slot: it never ran.
      failCaller(missedDeadline);
      settle();
      return;
    }
    // A statement queued in postgres.js leaves its queue; a running one gets Postgres's cancel.
    // Before the caller's rejection, which marks the query inactive (postgres.js would then only
    // note the cancel for later instead of sending it).
    Promise.resolve(query.cancel()).catch(() => {});
    failCaller(missedDeadline);
    const { wedged } = target;
    const running = client;
    if (wedged) {
      graceTimer = setTimeout(() => {
        if (settled) return;
        wedged(running);
        settle();
      }, CANCEL_GRACE_MS);
    }
  }, deadlineMs);
}

function deadlineError(deadlineMs: number, statement: string): QueryDeadlineError {
  const what = statement.replace(/\s+/g, " ").slice(0, 60);
  return new QueryDeadlineError(
    `The database did not answer within ${deadlineMs} ms (DATABASE_STATEMENT_TIMEOUT_MS): ${what}…`,
  );
}

/**
 * A transaction whose caller hears within `deadlineMs` at each step the statement guard does not
 * cover: getting a connection (a slot, then BEGIN), then its COMMIT or ROLLBACK once the callback
 * is done. The time in between is the callback's own (each of its statements has the deadline), so
 * a long transaction of quick statements is not reported failed while it commits. A transaction
 * that only gets its connection after the deadline runs nothing, since its caller was already
 * told it failed. It holds its slot until postgres.js has ended it, or until its connection is
 * found wedged.
 */
function guardedBegin(
  target: StatementTarget<Sql>,
  run: (tx: TransactionSql) => unknown,
  deadlineMs: number | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ticket = target.gate?.enter();
    let client: Sql | undefined;
    let late = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const failAt = (step: string) =>
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            late = true;
            reject(deadlineError(deadlineMs, step));
            const running = client;
            const { wedged } = target;
            if (!running) ticket?.leave();
            else if (wedged) {
              graceTimer = setTimeout(() => {
                wedged(running);
                ticket?.leave();
              }, CANCEL_GRACE_MS);
            }
          }, deadlineMs);
    let timer = failAt("BEGIN");
    (ticket?.granted ?? Promise.resolve())
      .then(() => {
        if (late) return;
        client = target.current();
        return client.begin(async (tx) => {
          if (late) throw deadlineError(deadlineMs ?? 0, "BEGIN");
          clearTimeout(timer);
          try {
            return await run(tx);
          } finally {
            timer = failAt("COMMIT or ROLLBACK");
          }
        });
      })
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        clearTimeout(graceTimer);
        ticket?.leave();
      });
  });
}

/**
 * `reserve()` on a gated pool: the reserved connection is a unit too, holding its slot until
 * `release()` (the boot check and health read the ledger on a reserved connection of the app's
 * pool).
 */
async function reserveSlot(target: StatementTarget<AnySql>) {
  const ticket = (target.gate as ConnectionGate).enter();
  await ticket.granted;
  try {
    const reserved = await (target.current() as Sql).reserve();
    const release = reserved.release;
    reserved.release = () => {
      release();
      ticket.leave();
    };
    return reserved;
  } catch (error) {
    ticket.leave();
    throw error;
  }
}
