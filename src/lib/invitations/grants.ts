import { and, eq, gt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import type { MembershipRole } from "@/lib/db/schema";
import { membershipGrants, memberships, tenants, users } from "@/lib/db/schema";
import { TenancyError } from "@/lib/tenancy/errors";
import { ROLE_NAMES } from "@/lib/tenancy/roles";
import { INVITE_NOT_FOUND_MESSAGE, inviteExpiredMessage } from "./refusals";
import { hashInviteToken, isInviteTokenShaped } from "./tokens";

/**
 * Grants: access offered to an account that already exists. Holding the link is not enough and
 * neither is owning the account: the grant takes effect only for the account it names, signed
 * in, with its link (docs/security.md). The link proves the address; the session proves the
 * account.
 */

export interface InvitationGrant {
  /** Null for the agency-admin role, which covers every tenant. */
  tenantName: string | null;
  role: MembershipRole;
  invitedByName: string | null;
}

export interface PendingGrant {
  userId: string;
  email: string;
  expiresAt: Date;
  expired: boolean;
  grant: InvitationGrant;
}

/** The grant holding this token hash, expired or not; expiry by the database clock. */
export async function findGrant(
  tokenHash: string,
  db: Pick<Database, "select"> = getDb(),
): Promise<PendingGrant | undefined> {
  const inviter = alias(users, "inviter");
  const [row] = await db
    .select({
      userId: membershipGrants.userId,
      email: users.email,
      expiresAt: membershipGrants.expiresAt,
      expired: sql<boolean>`${membershipGrants.expiresAt} <= now()`,
      tenantName: tenants.name,
      role: membershipGrants.role,
      invitedByName: inviter.name,
    })
    .from(membershipGrants)
    .innerJoin(users, eq(users.id, membershipGrants.userId))
    .leftJoin(tenants, eq(tenants.id, membershipGrants.tenantId))
    .leftJoin(inviter, eq(inviter.id, membershipGrants.invitedByUserId))
    .where(eq(membershipGrants.tokenHash, tokenHash));
  if (!row) return undefined;
  const { tenantName, role, invitedByName, ...rest } = row;
  return { ...rest, grant: { tenantName, role, invitedByName } };
}

/**
 * Turns the grant into a membership for `userId`, who must be the account it names (the caller
 * passes the signed-in user). One statement uses the token up, so a link works once. Returns what
 * the user now has, in words.
 */
export async function acceptGrant(
  userId: string,
  token: unknown,
  db: Database = getDb(),
): Promise<string> {
  if (!isInviteTokenShaped(token)) {
    throw new TenancyError("INVITE_NOT_FOUND", INVITE_NOT_FOUND_MESSAGE);
  }
  const tokenHash = hashInviteToken(token);
  return db.transaction(async (tx) => {
    const [grant] = await tx
      .delete(membershipGrants)
      .where(
        and(
          eq(membershipGrants.tokenHash, tokenHash),
          eq(membershipGrants.userId, userId),
          gt(membershipGrants.expiresAt, sql`now()`),
        ),
      )
      .returning();
    if (!grant) {
      const pending = await findGrant(tokenHash, tx);
      if (pending?.expired) {
        throw new TenancyError("INVITE_EXPIRED", inviteExpiredMessage(pending.expiresAt));
      }
      if (pending) {
        throw new TenancyError(
          "FORBIDDEN",
          `This invitation is for ${pending.email}: sign in as ${pending.email} to accept it.`,
        );
      }
      throw new TenancyError("INVITE_NOT_FOUND", INVITE_NOT_FOUND_MESSAGE);
    }
    // The link reached the address: it is verified now.
    await tx.update(users).set({ emailVerified: true }).where(eq(users.id, userId));
    const [agencyWide] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.userId, userId), sql`${memberships.tenantId} is null`));
    const [tenant] = grant.tenantId
      ? await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, grant.tenantId))
      : [];
    const where = tenant?.name ?? "the agency";
    if (agencyWide) return `You are an agency admin and already see ${where}.`;
    await tx
      .insert(memberships)
      .values({
        userId,
        tenantId: grant.tenantId,
        role: grant.role,
        invitedByUserId: grant.invitedByUserId,
      })
      .onConflictDoUpdate({
        target: [memberships.userId, memberships.tenantId],
        set: { role: grant.role },
      });
    return `You now have access to ${where} as ${ROLE_NAMES[grant.role]}.`;
  });
}
