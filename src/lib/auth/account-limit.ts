import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Database } from "@/lib/db/client";
import { signInFailures } from "@/lib/db/schema";

/**
 * The per-account sign-in limit, on top of Better Auth's per-address one (which an attacker with
 * many addresses spreads thin). Counts live in Postgres (`sign_in_failures`), so every replica
 * shares them.
 *
 * A plain per-account lockout would let anyone lock a victim out by failing on purpose. Here the
 * limit applies only to browsers that have never signed in to the account: a successful sign-in
 * leaves a "known browser" cookie bound to the account's current password and sign-in generation
 * (known-browser.ts), and a request carrying it is never held back. So an attacker guessing (without that cookie) gets at most FAILURE_LIMIT tries per
 * window per account, whatever their address and however many they send at once (each attempt is
 * counted before its password is checked, and a success takes its count back), while the
 * account's owner signs in as usual from any browser they used before. The price, written down in
 * docs/security.md: during an attack, the owner on a browser they never used waits for the window
 * to pass.
 */
export const ACCOUNT_FAILURE_LIMIT = 10;
export const ACCOUNT_WINDOW_MINUTES = 15;

/** The counter's key: no address is stored, and unknown addresses are counted like real ones. */
export function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase(), "utf8").digest("hex");
}

/**
 * Counts a sign-in attempt before its password is checked, and returns the account's count in
 * the current window (a window that has passed starts over). One upsert that returns the row, so
 * concurrent attempts each get a different count: a check followed by a later write let every
 * request in flight pass the check before any failure was written.
 */
export async function countAttempt(db: Database, key: string): Promise<number> {
  const expired = sql`${signInFailures.windowStartedAt} <= now() - make_interval(mins => ${ACCOUNT_WINDOW_MINUTES})`;
  const [row] = await db
    .insert(signInFailures)
    .values({ accountKey: key, failures: 1 })
    .onConflictDoUpdate({
      target: signInFailures.accountKey,
      set: {
        failures: sql`case when ${expired} then 1 else ${signInFailures.failures} + 1 end`,
        windowStartedAt: sql`case when ${expired} then now() else ${signInFailures.windowStartedAt} end`,
      },
    })
    .returning({ attempts: signInFailures.failures });
  if (!row) throw new Error("the sign_in_failures upsert returned no row");
  return row.attempts;
}

/**
 * Takes back the attempt of a sign-in that succeeded, so that only failures stay counted: the
 * owner signing in does not spend the account's budget, and an attacker's count is not reset.
 */
export async function discountAttempt(db: Database, key: string): Promise<void> {
  await db
    .update(signInFailures)
    .set({ failures: sql`greatest(${signInFailures.failures} - 1, 0)` })
    .where(eq(signInFailures.accountKey, key));
}
