import { and, eq, sql } from "drizzle-orm";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import { memberships, sessions, tenants, users } from "@/lib/db/schema";
import { revokeOffersIssuedBy } from "@/lib/invitations/revoke";

/**
 * Suspends a user, in one transaction: ends every session they have (no request can see the user
 * suspended yet still signed in; sessions are read from the database on every request, no cookie
 * cache is configured), raises their sign-in generation (no browser stays exempt from the
 * per-account sign-in limit, src/lib/auth/known-browser.ts), and revokes every invitation and
 * grant they issued that is still pending. Returns false when no such user exists.
 */
export async function suspendUser(userId: string, db: Database = getDb()): Promise<boolean> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(users)
      .set({ status: "suspended", signInGeneration: sql`${users.signInGeneration} + 1` })
      .where(eq(users.id, userId))
      .returning({ id: users.id });
    if (updated.length === 0) return false;
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await revokeOffersIssuedBy(userId, tx);
    return true;
  });
}

/**
 * Lifts a suspension: the user may sign in again with their old password. A user suspended
 * before accepting an invitation goes back to `invited` (they have no password yet; their link
 * works again if it has not expired). Returns the new status, or null when no suspended user has
 * this id.
 */
export async function reactivateUser(
  userId: string,
  db: Database = getDb(),
): Promise<"active" | "invited" | null> {
  const [row] = await db
    .update(users)
    .set({
      status: sql`case when ${users.inviteToken} is null then 'active' else 'invited' end`,
    })
    .where(and(eq(users.id, userId), eq(users.status, "suspended")))
    .returning({ status: users.status });
  return row ? (row.status as "active" | "invited") : null;
}

export interface MembershipSummary {
  role: (typeof memberships.$inferSelect)["role"];
  /** Null for an agency admin, who sees every tenant. */
  tenantName: string | null;
}

/** The user's memberships with their tenant's name, agency-wide ones first. */
export async function listMemberships(
  userId: string,
  db: Database = getDb(),
): Promise<MembershipSummary[]> {
  return db
    .select({ role: memberships.role, tenantName: tenants.name })
    .from(memberships)
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(sql`${tenants.name} asc nulls first`);
}
