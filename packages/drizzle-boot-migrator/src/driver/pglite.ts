/**
 * The adapter of the driver port for PGlite (`@electric-sql/pglite`): Postgres compiled to
 * WebAssembly, running inside this process. drizzle's own `drizzle-orm/pglite` session writes the
 * ledger. Nothing of PGlite is imported here: the caller hands over its instance.
 *
 * What the migration lock means on PGlite: an instance is one database with one connection, and
 * everything run on it (the app's queries, the migrator's, drizzle's) shares that one backend's
 * session. The advisory lock is taken as on a server and shows in the instance's `pg_locks`, but
 * advisory locks are re-entrant within a session, so on PGlite it excludes nobody. Two things keep
 * a run whole instead: PGlite runs a transaction exclusively (every other query on the instance
 * waits until it ends), and this adapter gives one migrator session per instance at a time (a
 * second migrator on the same instance waits for the first to close its session, then finds the
 * work done). Between processes there is nothing to exclude: PGlite runs Postgres in single-user
 * mode, and a data directory is for one process at a time.
 *
 * What PGlite cannot do: it enforces no `statement_timeout`, `lock_timeout` or idle timeouts (the
 * settings are accepted, but a statement runs to its end), there is no other connection to cancel
 * a statement from, and no pooler can stand in front of it. Notices are dropped, as on the other
 * drivers.
 */
import { readParameters } from "./pg-family.ts";
import type { DriverSession, DriverTransaction, MigratorDriver, Queryable } from "./port.ts";

/** What a query of PGlite's takes beside its text and parameters (its `QueryOptions`). */
interface PgliteQueryOptions {
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
}

/** What the adapter uses of a PGlite transaction (PGlite's `Transaction`). */
export interface PgliteTransactionLike {
  query(
    text: string,
    params?: unknown[],
    options?: PgliteQueryOptions,
  ): Promise<{ rows: unknown[] }>;
}

/** What the adapter uses of a `PGlite` instance. */
export interface PgliteLike extends PgliteTransactionLike {
  readonly waitReady: Promise<void>;
  readonly closed: boolean;
  exec(text: string): Promise<unknown>;
  transaction<T>(work: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
}

/**
 * int8 as text, as postgres.js and node-postgres give it (PGlite parses it to a BigInt), so that
 * a row reads the same on every driver.
 */
const AS_TEXT: PgliteQueryOptions = { parsers: { 20: (value) => value } };

function pgliteQueryable(client: PgliteTransactionLike): Queryable {
  return {
    query: async <Row extends object>(text: string, params: readonly unknown[] = []) =>
      (await client.query(text, [...params], AS_TEXT)).rows as Row[],
  };
}

/** Per instance, when the migrator session open on it ends: one migrator session at a time. */
const sessionEnds = new WeakMap<object, Promise<void>>();

/** Waits for the instance's previous migrator session to end; resolves to this one's `end`. */
async function takeInstance(db: object): Promise<() => void> {
  const previous = sessionEnds.get(db) ?? Promise.resolve();
  let end = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  sessionEnds.set(
    db,
    previous.then(() => ended),
  );
  await previous;
  return end;
}

/**
 * The migrator's session on `db`, a PGlite instance (in memory or on a data directory): the
 * instance's one connection, left open for its owner. A second migrator on the same instance
 * waits until the first has closed its session. `settings.url` only names the target in messages
 * (`pglite://memory`, or `pglite:///path/to/data`).
 */
export function pgliteDriver(db: PgliteLike): MigratorDriver {
  return {
    name: "pglite",
    // An instance that failed to start or was closed will not come back by itself.
    reconnects: false,
    async connect() {
      await db.waitReady;
      const end = await takeInstance(db);
      try {
        if (db.closed) throw new Error("PGlite is closed");
        return pgliteSession(db, await readParameters(db), end);
      } catch (error) {
        end();
        throw error;
      }
    },
  };
}

function pgliteSession(
  db: PgliteLike,
  parameters: Record<string, string | undefined>,
  end: () => void,
): DriverSession {
  const release = async () => end();
  return {
    driver: "pglite",
    ...pgliteQueryable(db),
    // PGlite's own transaction: BEGIN, then COMMIT when `work` resolves, else ROLLBACK; every
    // other query on the instance waits until it ends.
    transaction: <T>(work: (tx: DriverTransaction) => Promise<T>) =>
      db.transaction((tx) => work({ ...pgliteQueryable(tx), native: { driver: "pglite", tx } })),
    simple: async (text) => {
      await db.exec(text);
    },
    parameters,
    abort: release,
    close: release,
  };
}
