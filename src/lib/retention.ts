import { and, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Database } from "@/lib/db/client";
import { membershipGrants, signInFailures, users } from "@/lib/db/schema";

/**
 * How long rows that no longer do anything are kept (docs/security.md, "Retention"). Nothing
 * else deletes them: a sign-in with a random email leaves a `sign_in_failures` row, and an
 * invitation nobody accepts leaves its rows, forever.
 */
export const RETENTION = {
  /** A sign-in failure count, from the start of its window (which lasts 15 minutes). */
  signInFailuresHours: 24,
  /**
   * An expired grant or invitation, from its expiry: until then its link says "expired" rather
   * than "not valid", and admins see it expired among the pending ones.
   */
  expiredOffersDays: 30,
} as const;

export interface PruneLimits {
  /** Rows deleted per statement: one statement never holds many row locks. */
  batchSize: number;
  /** Statements per table per run: one run is bounded; a backlog drains over several. */
  maxBatches: number;
}

export const DEFAULT_PRUNE_LIMITS: PruneLimits = { batchSize: 1_000, maxBatches: 10 };

export interface PruneReport {
  signInFailures: number;
  grants: number;
  invitations: number;
}

/**
 * Deletes what `RETENTION` lets go, at most `batchSize × maxBatches` rows per table. Rows another
 * run is deleting are skipped (`SKIP LOCKED`), so replicas pruning at once share the work.
 * Expired invitations go with their user row (never activated: no password, no session) and its
 * memberships; a suspended user's row stays, whatever their invitation.
 */
export async function pruneExpiredRows(
  db: Database,
  limits: PruneLimits = DEFAULT_PRUNE_LIMITS,
): Promise<PruneReport> {
  const signInFailuresPruned = await pruneBatches(
    db,
    limits,
    signInFailures,
    signInFailures.id,
    lt(
      signInFailures.windowStartedAt,
      sql`now() - make_interval(hours => ${RETENTION.signInFailuresHours})`,
    ),
  );
  const expiredOffer = (expiresAt: PgColumn) =>
    lt(expiresAt, sql`now() - make_interval(days => ${RETENTION.expiredOffersDays})`);
  const grants = await pruneBatches(
    db,
    limits,
    membershipGrants,
    membershipGrants.id,
    expiredOffer(membershipGrants.expiresAt),
  );
  const invitations = await pruneBatches(
    db,
    limits,
    users,
    users.id,
    and(
      eq(users.status, "invited"),
      isNotNull(users.inviteToken),
      expiredOffer(users.inviteExpiresAt),
    ),
  );
  return { signInFailures: signInFailuresPruned, grants, invitations };
}

async function pruneBatches(
  db: Database,
  { batchSize, maxBatches }: PruneLimits,
  table: PgTable,
  id: PgColumn,
  condition: ReturnType<typeof and>,
): Promise<number> {
  let pruned = 0;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const doomed = db
      .select({ id })
      .from(table)
      .where(condition)
      .limit(batchSize)
      .for("update", { skipLocked: true });
    const deleted = await db.delete(table).where(inArray(id, doomed)).returning({ id });
    pruned += deleted.length;
    if (deleted.length < batchSize) break;
  }
  return pruned;
}

/** How often one process prunes at most. */
export const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

const lastRunKey = Symbol.for("agency-reporting.retention-last-run");
type LastRunHolder = { [lastRunKey]?: number };

/**
 * Prunes unless this process did within `PRUNE_INTERVAL_MS`: the auth route calls it after
 * answering, so a process prunes on its first auth request and then now and then, with no timer
 * (a serverless instance has none that outlives a request). Failures are logged, never thrown.
 */
export async function pruneIfDue(
  db: Database,
  log: (line: string) => void = console.warn,
  now: number = Date.now(),
): Promise<PruneReport | undefined> {
  const holder = globalThis as LastRunHolder;
  if (holder[lastRunKey] !== undefined && now - holder[lastRunKey] < PRUNE_INTERVAL_MS) {
    return undefined;
  }
  holder[lastRunKey] = now;
  try {
    return await pruneExpiredRows(db);
  } catch (error) {
    log(`[retention] pruning expired rows failed, to be tried again later: ${String(error)}`);
    return undefined;
  }
}
