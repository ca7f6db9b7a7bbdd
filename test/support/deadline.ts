import type { Sql } from "postgres";
import { expect } from "vitest";
import { QueryDeadlineError } from "@/lib/db/statements";

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

/**
 * `work`, which runs `statement` (longer than any bound here), failed with QueryDeadlineError at
 * `deadlineMs`, naming the deadline and the statement; Postgres ran the statement before then (so
 * that it no longer running afterwards means cancelled, not never sent) and runs it no more.
 * `direct` reaches the database without a pooler.
 */
export async function expectCancelledAtDeadline(
  work: Promise<unknown>,
  { direct, deadlineMs, statement }: { direct: Sql; deadlineMs: number; statement: string },
): Promise<void> {
  const running = () => runningStatements(direct, statement);
  let settled = false;
  const failure = timedFailure(work).finally(() => {
    settled = true;
  });
  let seenOnServer = false;
  while (!settled && !seenOnServer) {
    seenOnServer = (await running()).length > 0;
    if (!seenOnServer) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { ms, error } = await failure;

  expect(error, String(error)).toBeInstanceOf(QueryDeadlineError);
  const named = `The database did not answer within ${deadlineMs} ms (DATABASE_STATEMENT_TIMEOUT_MS): ${statement}`;
  expect((error as Error).message.slice(0, named.length)).toBe(named);
  expect(ms).toBeGreaterThanOrEqual(deadlineMs - 20);
  expect(ms).toBeLessThan(deadlineMs + 1_000);
  expect(seenOnServer, "Postgres ran the statement before its deadline").toBe(true);
  await expect.poll(running, { timeout: 2_000 }).toEqual([]);
}
