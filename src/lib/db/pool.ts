import postgres, { type Sql } from "postgres";
import { transactionPoolerReason } from "./pooler";
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
   * Whether `url` goes through a transaction pooler; unset, guessed from the URL. A PgBouncer on a
   * plain URL looks like Postgres, so the app declares it (DATABASE_POOLER).
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
  const pool = postgres(withoutClientMarkers(options.url), {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {},
    // Through a transaction pooler a prepared statement may land on a server connection that
    // never saw it; under concurrent load PgBouncer's pool then wedges ("idle server got dirty").
    prepare: !(options.transactionPooler ?? transactionPoolerReason(options.url) !== undefined),
    // The only startup parameter besides user and database: poolers refuse ones they do not know.
    connection: { application_name: options.applicationName ?? "agency-reporting" },
  });
  // Failed statements keep their parameters (session tokens…) out of errors; see ./statements.ts.
  const client = guardStatements(pool, {
    deadlineMs: options.statementTimeoutMs,
    explainMissingSchema: options.explainMissingSchema,
  });
  return { client, close: () => client.end({ timeout: 5 }) };
}

/**
 * `pgbouncer=true` marks a URL as a transaction pooler for clients (Prisma's and Supabase's
 * convention) and is not a server setting: postgres.js would send it as a startup parameter,
 * which Postgres and PgBouncer reject ("unrecognized configuration parameter"). It is read above
 * (`transactionPoolerReason`) and dropped here.
 */
function withoutClientMarkers(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("pgbouncer")) return url;
  parsed.searchParams.delete("pgbouncer");
  return parsed.toString();
}
