/**
 * The driver port: the little the migrator needs from a Postgres driver, and what it must know
 * about the driver's errors. The core (run, lock, no-transaction-run, preflight, target-failures,
 * the drizzle adapters' ledger reads) speaks only this; each adapter (postgres-js.ts, pg.ts) maps
 * it onto its driver and loads that driver only when it connects, so a project installs one.
 *
 * Not in the port: server notices (each adapter drops them; postgres.js would print them) and
 * cancelling a statement (every deadline the migrator sets is a server-side timeout, which ends
 * the statement on the server without a client's help).
 */

/** Something that runs one statement: a session, or a transaction on it. */
export interface Queryable {
  /**
   * One statement, `$1`… placeholders bound to `params` (sent as text; cast in SQL what is not
   * text); the rows as objects keyed by column name.
   */
  query<Row extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
}

/**
 * A transaction's driver objects, for drizzle's own session of that driver (drizzle-0.45/
 * sessions.ts), which writes the ledger.
 */
export type NativeTransaction =
  /** postgres.js: the client (`Sql`) and the transaction `begin()` gave (`TransactionSql`). */
  | { driver: "postgres"; sql: unknown; tx: unknown }
  /**
   * node-postgres, or Neon's serverless driver (its fork): the connected client the transaction
   * runs on (BEGIN was sent on it).
   */
  | { driver: "pg" | "neon-serverless"; client: unknown };

export interface DriverTransaction extends Queryable {
  readonly native: NativeTransaction;
}

export type DriverName = NativeTransaction["driver"];

/** The migrator's own session: one server connection, held from connect to close. */
export interface DriverSession extends Queryable {
  readonly driver: DriverName;
  /** `work` in one transaction on this session: committed when it resolves, else rolled back. */
  transaction<T>(work: (tx: DriverTransaction) => Promise<T>): Promise<T>;
  /** Several `;`-separated statements without parameters, in one simple-protocol message. */
  simple(text: string): Promise<void>;
  /** What the server reported on connecting: `server_version`, `in_hot_standby` (14+). */
  readonly parameters: Readonly<Record<string, string | undefined>>;
  /**
   * Ends the session at once, writing nothing more to it: for a connection already lost, whose
   * transaction the server has rolled back. The first of `abort` and `close` ends the session;
   * later calls do nothing.
   */
  abort(): Promise<void>;
  /** Ends the session (or hands a pool's connection back). */
  close(): Promise<void>;
}

/** What `connect` is given: the URL a driver without a caller's pool or client connects to. */
export interface ConnectTarget {
  url: string;
  applicationName: string;
  connectTimeoutSeconds: number;
}

/** A way to open the migrator's session on one driver. */
export interface MigratorDriver {
  readonly name: DriverName;
  /**
   * Opens a session, or throws the driver's error (connection.ts retries the transient ones when
   * `reconnects`).
   */
  connect(target: ConnectTarget): Promise<DriverSession>;
  /** False when a failed connect cannot be tried again (a caller's node-postgres `Client`). */
  readonly reconnects: boolean;
}

/** `error` and its causes, outermost first: drizzle wraps the driver's error (`cause`). */
function* causes(error: unknown): Generator<Record<string, unknown>> {
  for (
    let current = error, depth = 0;
    current && typeof current === "object" && depth < 5;
    depth++
  ) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

export interface PostgresFailure {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * The Postgres error behind `error`, if any. Every supported driver gives Postgres's own errors
 * a `severity` beside their SQLSTATE `code`; its own errors (a closed socket) have no severity.
 */
export function postgresFailureOf(error: unknown): PostgresFailure | undefined {
  for (const candidate of causes(error)) {
    if (typeof candidate.severity === "string" && typeof candidate.code === "string") {
      return candidate as unknown as PostgresFailure;
    }
  }
  return undefined;
}

/** The SQLSTATE of the Postgres error behind `error`, if any. */
export const sqlStateOf = (error: unknown): string | undefined => postgresFailureOf(error)?.code;

/**
 * A session that is gone, by SQLSTATE: terminated (57P01), idle-session timeout (57P05),
 * idle-in-transaction timeout (25P03).
 */
const SESSION_ENDED = /^(57P0[15]|25P03)$/;

/**
 * A connection that is gone, as each driver says it: postgres.js by `code`, node-postgres by
 * message (its errors for a closed or broken socket have no code), Node by its socket codes.
 */
const LOST = {
  codes: /^(CONNECTION_(CLOSED|ENDED|DESTROYED)|ECONNRESET|EPIPE)$/,
  messages:
    /^(Connection terminated( unexpectedly)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/,
};

/** The session is gone (closed, terminated, timed out while idle), as opposed to a failed statement. */
export function isConnectionLoss(error: unknown): boolean {
  for (const candidate of causes(error)) {
    const code = String(candidate.code);
    if (SESSION_ENDED.test(code) || LOST.codes.test(code)) return true;
    if (LOST.messages.test(String(candidate.message))) return true;
  }
  return false;
}

/** Node's and postgres.js's codes for a network that may come back. */
const TRANSIENT_CODES =
  /^(E(CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|PIPE)|CONNECT_TIMEOUT|CONNECTION_(CLOSED|ENDED|DESTROYED))$/;
/** node-postgres's messages for a connect that timed out or a socket closed while connecting. */
const TRANSIENT_MESSAGES =
  /^(timeout expired|Connection terminated( unexpectedly| due to connection timeout)?)$/;

/**
 * Worth retrying while a database comes up: the network, a server starting or shutting down
 * (57P03, class 08) or out of connection slots (53300). Wrong credentials or a missing database
 * will not fix themselves.
 */
export function isTransient(error: unknown): boolean {
  const sqlState = sqlStateOf(error);
  if (sqlState) return sqlState === "57P03" || sqlState === "53300" || sqlState.startsWith("08");
  for (const candidate of causes(error)) {
    if (TRANSIENT_CODES.test(String(candidate.code))) return true;
    if (TRANSIENT_MESSAGES.test(String(candidate.message))) return true;
  }
  return false;
}
