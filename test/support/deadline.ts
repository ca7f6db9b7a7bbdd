import type { Sql } from "postgres";

/**
 * How long `work` took to fail, and why (undefined when it did not fail): drizzle wraps the
 * driver's error (a `QueryDeadlineError`, Postgres's own) as its `cause`.
 */
export async function timedFailure<T>(work: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await work.then(
    () => undefined,
    (caught: unknown) => (caught as { cause?: unknown }).cause ?? caught,
  );
  return { ms: performance.now() - started, error };
}

/**
 * The statements Postgres is running on `direct`'s database that contain `fragment`, other than
 * this query: read from `pg_stat_activity` on a direct connection, never through a pooler.
 */
export async function runningStatements(direct: Sql, fragment: string): Promise<string[]> {
  const rows = await direct<{ query: string }[]>`
    select query from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
      and strpos(query, ${fragment}) > 0`;
  return rows.map((row) => row.query);
}
