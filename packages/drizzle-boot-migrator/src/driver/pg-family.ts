/**
 * What node-postgres (`pg`) and Neon's serverless driver (a fork of it) share: the shapes of their
 * `Pool` and `Client` that the migrator uses, a session on a client, one of a pool's connections.
 * Imports neither driver: the caller hands over its pool or client.
 */
import { DriverError } from "../errors.ts";
import type { ConnectTarget, DriverSession, DriverTransaction, Queryable } from "./port.ts";

/** What the adapter uses of a node-postgres `Client` (or a `Pool`'s client). */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/** A client checked out of a `Pool`. */
export interface PgPoolClient extends Omit<PgClient, "connect" | "end"> {
  release(destroy?: boolean): void;
}

/** What the adapter uses of a node-postgres `Pool`. */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly options: { max?: number };
}

export type PgSource = string | PgPool | PgClient;

/** node-postgres and Neon's serverless driver, a fork of it with the same Pool and Client. */
export type PgFamily = "pg" | "neon-serverless";

const POOL_OF: Record<PgFamily, string> = {
  pg: "The node-postgres Pool",
  "neon-serverless": "The Neon serverless Pool",
};

export const isPool = (source: PgSource): source is PgPool =>
  typeof source === "object" && "totalCount" in source && "idleCount" in source;

/** node-postgres's default pool size. */
const PG_DEFAULT_MAX = 10;

/** The server facts of a connected client, read once per client (a pool hands the same ones out). */
const parametersOf = new WeakMap<object, Record<string, string | undefined>>();

async function readParameters(client: Pick<PgClient, "query">) {
  const known = parametersOf.get(client);
  if (known) return known;
  const { rows } = await client.query(
    "select current_setting('server_version') as server_version, " +
      "current_setting('in_hot_standby', true) as in_hot_standby",
  );
  const parameters = (rows[0] ?? {}) as Record<string, string | undefined>;
  parametersOf.set(client, parameters);
  return parameters;
}

/** The port's `query` over a node-postgres client. */
function pgQueryable(client: Pick<PgClient, "query">): Queryable {
  return {
    query: async <Row extends object>(text: string, params: readonly unknown[] = []) =>
      (await client.query(text, [...params])).rows as Row[],
  };
}

/**
 * A session on `client`. node-postgres emits a broken connection's error as an event, which would
 * crash the process with no listener; the listener here keeps it, and the next query fails with
 * it. `release` ends the session: `lost` when the connection is gone.
 */
export function pgSession(
  driver: PgFamily,
  client: Pick<PgClient, "query" | "on" | "removeListener">,
  parameters: Record<string, string | undefined>,
  release: (lost: boolean) => Promise<void>,
): DriverSession {
  const ignore = () => {};
  client.on("error", ignore);
  // Once: on a lost connection the lock aborts the session and the run then closes it, and a
  // pool's client released twice throws ("already been released to the pool").
  let ended = false;
  const done = async (lost: boolean) => {
    if (ended) return;
    ended = true;
    client.removeListener("error", ignore);
    await release(lost);
  };
  const queryable = pgQueryable(client);
  return {
    driver,
    ...queryable,
    // node-postgres has no transaction object: BEGIN on the client, then its statements.
    async transaction<T>(work: (tx: DriverTransaction) => Promise<T>) {
      await client.query("begin");
      try {
        const result = await work({ ...queryable, native: { driver, client } });
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      }
    },
    simple: async (text) => {
      // Without parameters node-postgres sends the simple protocol, which takes several statements.
      await client.query(text);
    },
    parameters,
    abort: () => done(true),
    close: () => done(false),
  };
}

/** A caller's client: connected here if it is not yet, and left open for its owner. */
export async function callersClient(driver: PgFamily, client: PgClient): Promise<DriverSession> {
  await client.connect().catch((error: unknown) => {
    // Connected by its owner already: that is how it is meant to be used.
    if (!/already been connected/.test(String((error as Error).message))) throw error;
  });
  return pgSession(driver, client, await readParameters(client), async () => {});
}

/**
 * One of `pool`'s connections, held for the run and handed back. A pool with no idle connection
 * and no room for another is refused (`POOL_NO_ROOM`) rather than waited on.
 */
export async function poolClient(
  driver: PgFamily,
  pool: PgPool,
  target: ConnectTarget,
): Promise<DriverSession> {
  const max = pool.options.max ?? PG_DEFAULT_MAX;
  if (pool.idleCount === 0 && pool.totalCount >= max) {
    throw new DriverError(
      "POOL_NO_ROOM",
      `${POOL_OF[driver]} given to the migrator has all its ${max} connections (its max) ` +
        "checked out, and waiting for one could last forever. The migrator holds one connection of " +
        "the pool while it runs: start it before anything else takes the pool's connections, " +
        "raise the pool's max, or give the migrator a connection of its own (pgDriver(url)).",
    );
  }
  // Room now, yet the connection it opens may not come (a database that does not answer), or
  // others may take the room first: bounded, and retried like any connect that timed out.
  let timer: NodeJS.Timeout | undefined;
  const checkout = pool.connect();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      checkout.then(
        (late) => late.release(),
        () => {},
      );
      const seconds = target.connectTimeoutSeconds;
      reject(
        Object.assign(
          new Error(
            `${POOL_OF[driver].replace(/^The /, "the ")} gave no connection within ${seconds} s (its ${max} ` +
              "connections in use, or the database not answering)",
          ),
          { code: "CONNECT_TIMEOUT" },
        ),
      );
    }, target.connectTimeoutSeconds * 1000);
  });
  const client = await Promise.race([checkout, timeout]).finally(() => clearTimeout(timer));
  try {
    return pgSession(driver, client, await readParameters(client), async (lost) =>
      client.release(lost),
    );
  } catch (error) {
    client.release(true);
    throw error;
  }
}
