import { and, eq, inArray, isNotNull, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import {
  type MembershipRole,
  membershipGrants,
  memberships,
  tenants,
  users,
} from "@/lib/db/schema";
import { type Actor, requireAgencyAdmin } from "@/lib/tenancy/access";
import { TenancyError } from "@/lib/tenancy/errors";
import { ROLE_NAMES } from "@/lib/tenancy/roles";

/**
 * Taking back what was offered and not yet accepted. Two kinds of offer are pending:
 *
 * - an **invitation**: a membership of a user who has not accepted their invitation link yet
 *   (`users.invite_token` is set; the user has no password). One invited user may hold several,
 *   from several inviters, all opened by the same link;
 * - a **grant**: a `membership_grants` row, access offered to an account that exists.
 *
 * Revoking an invitation deletes its membership; an invited user left with no membership is
 * deleted too (with any grant waiting for them), so their link stops working. Revoking a grant
 * deletes it, so its link stops working. Either is one statement per table, and a concurrent
 * acceptance either commits first (then the offer is accepted, no longer pending, and stays) or
 * finds nothing to accept.
 */

export type PendingKind = "invitation" | "grant";

export interface PendingOffer {
  kind: PendingKind;
  /** The membership's id (an invitation) or the grant's. */
  id: string;
  email: string;
  /** Null: the agency (an agency-admin offer). */
  tenantName: string | null;
  role: MembershipRole;
  invitedByName: string | null;
  expiresAt: Date;
  expired: boolean;
}

/** Every pending invitation and grant, for the agency admin page; by email, then client. */
export async function listPendingOffers(
  actor: Actor,
  db: Database = getDb(),
): Promise<PendingOffer[]> {
  requireAgencyAdmin(actor);
  const inviter = alias(users, "inviter");
  const invitations = await db
    .select({
      id: memberships.id,
      email: users.email,
      tenantName: tenants.name,
      role: memberships.role,
      invitedByName: inviter.name,
      expiresAt: sql<Date>`${users.inviteExpiresAt}`.mapWith(users.inviteExpiresAt),
      expired: sql<boolean>`${users.inviteExpiresAt} <= now()`,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .leftJoin(inviter, eq(inviter.id, memberships.invitedByUserId))
    .where(isNotNull(users.inviteToken));
  const grants = await db
    .select({
      id: membershipGrants.id,
      email: users.email,
      tenantName: tenants.name,
      role: membershipGrants.role,
      invitedByName: inviter.name,
      expiresAt: membershipGrants.expiresAt,
      expired: sql<boolean>`${membershipGrants.expiresAt} <= now()`,
    })
    .from(membershipGrants)
    .innerJoin(users, eq(users.id, membershipGrants.userId))
    .leftJoin(tenants, eq(tenants.id, membershipGrants.tenantId))
    .leftJoin(inviter, eq(inviter.id, membershipGrants.invitedByUserId));
  return [
    ...invitations.map((row) => ({ ...row, kind: "invitation" as const })),
    ...grants.map((row) => ({ ...row, kind: "grant" as const })),
  ].sort(
    (a, b) =>
      a.email.localeCompare(b.email) || (a.tenantName ?? "").localeCompare(b.tenantName ?? ""),
  );
}

const revokeInput = z.object({ kind: z.enum(["invitation", "grant"]), id: z.uuid() });

/**
 * Revokes one pending invitation or grant (agency admins only): its link no longer gives that
 * access. Returns what was revoked, in words. `OFFER_NOT_FOUND` when nothing pending has this id
 * (it was accepted, revoked or pruned meanwhile).
 */
export async function revokeOffer(
  actor: Actor,
  input: { kind: unknown; id: unknown },
  db: Database = getDb(),
): Promise<string> {
  requireAgencyAdmin(actor);
  const parsed = revokeInput.safeParse(input);
  const notFound = new TenancyError(
    "OFFER_NOT_FOUND",
    "Nothing pending has this id: it was accepted, revoked or has been removed meanwhile.",
  );
  if (!parsed.success) throw notFound;
  const { kind, id } = parsed.data;
  return db.transaction(async (tx) => {
    const revoked =
      kind === "grant"
        ? await tx.delete(membershipGrants).where(eq(membershipGrants.id, id)).returning({
            userId: membershipGrants.userId,
            tenantId: membershipGrants.tenantId,
            role: membershipGrants.role,
          })
        : await tx
            .delete(memberships)
            .where(and(eq(memberships.id, id), inArray(memberships.userId, invitedUsers(tx))))
            .returning({
              userId: memberships.userId,
              tenantId: memberships.tenantId,
              role: memberships.role,
            });
    const [offer] = revoked;
    if (!offer) throw notFound;
    const [who] = await tx
      .select({ email: users.email })
      .from(users)
      .where(eq(users.id, offer.userId));
    if (kind === "invitation") await deleteAbandonedInvitees(tx, [offer.userId]);
    const [tenant] = offer.tenantId
      ? await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, offer.tenantId))
      : [];
    return (
      `Revoked the ${kind} of ${who?.email ?? "a user"} to ${tenant?.name ?? "the agency"} ` +
      `as ${ROLE_NAMES[offer.role]}: its link no longer gives that access.`
    );
  });
}

/**
 * Revokes every pending invitation and grant `userId` issued, e.g. when they are suspended:
 * without this, what a suspended admin handed out stayed usable until it expired (up to 90
 * days). No rights check: the caller decides (`suspendUser`). Returns how many were revoked.
 */
export async function revokeOffersIssuedBy(
  userId: string,
  tx: Pick<Database, "delete" | "select">,
): Promise<number> {
  const grants = await tx
    .delete(membershipGrants)
    .where(eq(membershipGrants.invitedByUserId, userId))
    .returning({ id: membershipGrants.id });
  const invitations = await tx
    .delete(memberships)
    .where(
      and(eq(memberships.invitedByUserId, userId), inArray(memberships.userId, invitedUsers(tx))),
    )
    .returning({ userId: memberships.userId });
  await deleteAbandonedInvitees(
    tx,
    invitations.map((row) => row.userId),
  );
  return grants.length + invitations.length;
}

/** The users whose invitation is still pending (they have no password yet). */
function invitedUsers(tx: Pick<Database, "select">) {
  return tx.select({ id: users.id }).from(users).where(isNotNull(users.inviteToken));
}

/**
 * Deletes those of `userIds` whose invitation is pending and offers nothing any more: their link
 * would make an account with no access. A user who accepted meanwhile has no token and stays.
 */
async function deleteAbandonedInvitees(
  tx: Pick<Database, "delete" | "select">,
  userIds: string[],
): Promise<void> {
  if (userIds.length === 0) return;
  await tx
    .delete(users)
    .where(
      and(
        inArray(users.id, userIds),
        isNotNull(users.inviteToken),
        notExists(tx.select().from(memberships).where(eq(memberships.userId, users.id))),
      ),
    );
}
