import { withoutClientMarkers } from "drizzle-boot-migrator";
import postgres, { type Sql } from "postgres";
import { ConnectionGate } from "./connection-gate";
import { replaceableClient } from "./replaceable-client";
import { guardStatements } from "./statements";

export interface PoolOptions {
  url: string;
  /** Pool size; the migrator uses 1 so its advisory lock and transaction share one session. */
  max?: number;
  /** Shows in `pg_stat_activity`, so operators can tell who holds a lock. */
  applicationName?: string;
  connectTimeoutSeconds?: number;
  /** Every statement's deadline, enforced by the client (see ./statements.ts). */
  statementTimeoutMs?: number;
  /**
   * Whether `url` goes through a transaction pooler. Unset counts as yes: a PgBouncer on a plain
   * URL looks like Postgres, so only `false` (DATABASE_POOLER=session or none) turns on prepared
   * statements.
   */
  transactionPooler?: boolean;
  /**
   * Development: a failure on a missing column or table names the likely cause (a schema change
   * no migration captures) and the command that fixes it (./missing-migration.ts).
   */
  explainMissingSchema?: boolean;
}

export interface Pool {
  client: Sql;
  close(): Promise<void>;
}

/**
 * The one place a Postgres connection is made. Callers own what they open and call `close()`
 * (in `finally`); the app's long-lived pool lives in `./app-pool.ts`. No ORM here: the boot's
 * up-to-date check and the migrator use the client alone (`./client.ts` adds drizzle).
 */
export function createPool(options: PoolOptions): Pool {
  const max = options.max ?? 10;
  const make = () =>
    postgres(withoutClientMarkers(options.url), {
      max,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      onnotice: () => {},
      // A prepared statement lives on one server connection; through a transaction pooler the next
      // transaction may run on another, which never saw it (26000). Only a URL declared or known
      // not to be one keeps them (drizzle's own queries are unnamed either way).
      prepare: options.transactionPooler === false,
      // The only startup parameter besides user and database: poolers refuse ones they do not know.
      connection: { application_name: options.applicationName ?? "agency-reporting" },
    });
  // A client with a wedged connection closes once its healthy statements end, within a deadline.
  const clients = replaceableClient(make, Math.ceil((options.statementTimeoutMs ?? 5_000) / 1000));
  // Failed statements keep their parameters (session tokens…) out of errors; see ./statements.ts.
  const client = guardStatements(
    { current: clients.current, gate: new ConnectionGate(max), wedged: clients.replace },
    { deadlineMs: options.statementTimeoutMs, explainMissingSchema: options.explainMissingSchema },
  );
  return { client, close: () => clients.end({ timeout: 5 }) };
}
