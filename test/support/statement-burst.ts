import type postgres from "postgres";
import { expect } from "vitest";

/**
 * Bursts of statements and transactions on the app's pool, for the pooler tests: every one must
 * be answered, however long the machine's load makes it wait, and a lost reply never comes.
 */

/** Long enough for any answer on a loaded machine; a lost reply never comes. */
export const ANSWER_WITHIN_MS = 5_000;

/** "answered", "failed: …" or "no answer", never waiting longer than `ANSWER_WITHIN_MS`. */
export function outcome(statement: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("no answer"), ANSWER_WITHIN_MS);
  });
  return Promise.race([
    statement.then(
      () => "answered",
      (error: unknown) => `failed: ${String(error)}`,
    ),
    noAnswer,
  ]).finally(() => clearTimeout(timer));
}

/** The `n`th of a burst: a transaction of two statements, a plain one, or one with parameters. */
function mixed(sql: postgres.Sql, n: number): Promise<unknown> {
  if (n % 3 === 0) {
    return sql.begin(async (tx) => {
      await tx`select ${n}::int`;
      await tx`select 1`;
    });
  }
  if (n % 3 === 1) return sql`select 1`;
  return sql.unsafe("select $1::int as n, $2::text as label", [n, `request ${n}`]);
}

/**
 * Five bursts of 60 statements and transactions, each burst sent at once, every one answered;
 * then `connections` statements one after another, each answered at once.
 */
export async function expectBurstsAnswered(sql: postgres.Sql, connections: number): Promise<void> {
  for (let round = 1; round <= 5; round++) {
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, n) => outcome(mixed(sql, n))),
    );
    expect(
      outcomes.filter((result) => result !== "answered"),
      `burst ${round}`,
    ).toEqual([]);
  }
  for (let n = 0; n < connections; n++)
    expect(await outcome(sql`select ${n}::int`)).toBe("answered");
}
