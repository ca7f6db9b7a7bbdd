import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { appBaseUrl, readEnv } from "@/env";
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from "@/lib/auth/input";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import {
  type MembershipRole,
  membershipGrants,
  memberships,
  type UserStatus,
  users,
} from "@/lib/db/schema";
import { type Actor, can, requireAgencyAdmin, requireTenant } from "@/lib/tenancy/access";
import { TenancyError } from "@/lib/tenancy/errors";
import { ROLE_NAMES, TENANT_ROLES } from "@/lib/tenancy/roles";
import { createInviteToken, inviteLink } from "./tokens";

export interface InvitationOptions {
  db?: Database;
  /** How long the link stays valid; INVITE_TTL_DAYS by default. */
  ttlDays?: number;
  /** The origin of the link; `appBaseUrl()` by default. */
  baseUrl?: string;
}

export interface InvitationResult {
  /**
   * `invited`: a new user; `reinvited`: a user still invited (only by tenants the inviter
   * manages), whose old link stops working; `granted`: anyone else with an account, who gets a
   * link that grants the access once they open it signed in as that account (a repeated grant
   * replaces the previous link).
   */
  outcome: "invited" | "reinvited" | "granted";
  userId: string;
  email: string;
  /** Null for an agency-admin invitation. */
  tenant: { id: string; name: string } | null;
  role: MembershipRole;
  invitedByName: string | null;
  /** The one-time link and its token: in memory only, for the sender or the admin to copy. */
  link: string;
  token: string;
  expiresAt?: Date | undefined;
}

/** What an invitation grants, already authorized by the caller. */
export interface Grant {
  email: string;
  /** The name the user starts with until they choose their own; defaults to the email's local part. */
  name?: string | undefined;
  tenant: { id: string; name: string } | null;
  role: MembershipRole;
  invitedBy: { userId: string; name: string } | null;
  /**
   * Whether the inviter manages the tenant (null: the agency) of one of the user's existing
   * memberships; a pending invitation's link is replaced only if they manage all of them.
   * Everything, when absent.
   */
  manages?: (tenantId: string | null) => boolean;
}

const emailSchema = z.string().trim().toLowerCase().max(EMAIL_MAX_LENGTH).pipe(z.email());
const nameSchema = z.string().trim().min(1).max(NAME_MAX_LENGTH);

export function parseEmail(value: unknown): string {
  const parsed = emailSchema.safeParse(value);
  if (!parsed.success) {
    throw new TenancyError("INVALID_EMAIL", "Enter a valid email address.", "email");
  }
  return parsed.data;
}

/** An optional name: empty means none. */
export function parseOptionalName(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const parsed = nameSchema.safeParse(value);
  if (!parsed.success) {
    throw new TenancyError(
      "INVALID_NAME",
      `Enter a name of 1 to ${NAME_MAX_LENGTH} characters.`,
      "name",
    );
  }
  return parsed.data;
}

function parseTenantRole(value: unknown): (typeof TENANT_ROLES)[number] {
  const role = TENANT_ROLES.find((candidate) => candidate === value);
  if (!role) {
    throw new TenancyError(
      "INVALID_ROLE",
      `"${String(value)}" is not a client role: choose ${TENANT_ROLES.map((r) => ROLE_NAMES[r]).join(" or ")}.`,
      "role",
    );
  }
  return role;
}

/**
 * Invites `email` to a tenant with a role. Allowed to agency admins and to admins of that tenant
 * (`requireTenant(…, "tenant:manage")`); a tenant the actor cannot see is "not found".
 */
export async function inviteToTenant(
  actor: Actor,
  input: { tenantId: unknown; email: unknown; role: unknown; name?: unknown },
  options: InvitationOptions = {},
): Promise<InvitationResult> {
  const tenant = await requireTenant(actor, input.tenantId, "tenant:manage", options.db);
  return issueInvitation(
    {
      email: parseEmail(input.email),
      name: parseOptionalName(input.name),
      tenant: { id: tenant.id, name: tenant.name },
      role: parseTenantRole(input.role),
      invitedBy: { userId: actor.userId, name: actor.name },
      manages: (tenantId) =>
        tenantId === null ? can(actor, "agency:manage") : can(actor, "tenant:manage", tenantId),
    },
    options,
  );
}

/** Invites `email` as an agency admin (a membership with no tenant). Agency admins only. */
export async function inviteAgencyAdmin(
  actor: Actor,
  input: { email: unknown; name?: unknown },
  options: InvitationOptions = {},
): Promise<InvitationResult> {
  requireAgencyAdmin(actor);
  return issueInvitation(
    {
      email: parseEmail(input.email),
      name: parseOptionalName(input.name),
      tenant: null,
      role: "agency_admin",
      invitedBy: { userId: actor.userId, name: actor.name },
    },
    options,
  );
}

/**
 * Records an invitation, without any authorization check: callers decide who may grant what
 * (`inviteToTenant`, `inviteAgencyAdmin`, and `admin:create`, which runs with database access).
 * One transaction with the user's row locked, so two invitations of one email never interleave;
 * any refusal rolls everything back.
 */
export async function issueInvitation(
  grant: Grant,
  options: InvitationOptions = {},
): Promise<InvitationResult> {
  const db = options.db ?? getDb();
  const ttlDays = options.ttlDays ?? readEnv().INVITE_TTL_DAYS;
  const baseUrl = options.baseUrl ?? appBaseUrl();
  const { email, tenant, role, invitedBy, manages = () => true } = grant;
  const { token, tokenHash } = createInviteToken();
  // The database's clock decides expiry, here and when the link is accepted.
  const expiresAt = sql`now() + make_interval(days => ${ttlDays}::int)`;
  const columns = { id: users.id, status: users.status, inviteExpiresAt: users.inviteExpiresAt };

  return db.transaction(async (tx) => {
    let created = false;
    let [user] = await tx.select(columns).from(users).where(eq(users.email, email)).for("update");
    if (!user) {
      [user] = await tx
        .insert(users)
        .values({
          name: grant.name ?? email.split("@")[0] ?? email,
          email,
          status: "invited",
          inviteToken: tokenHash,
          inviteExpiresAt: expiresAt,
        })
        .onConflictDoNothing({ target: users.email })
        .returning(columns);
      created = user !== undefined;
      // Another invitation created the user between our read and insert: lock theirs.
      [user] = user
        ? [user]
        : await tx.select(columns).from(users).where(eq(users.email, email)).for("update");
    }
    if (!user) throw new Error(`users row for ${email} vanished during an invitation`);

    const held = await tx
      .select({ id: memberships.id, tenantId: memberships.tenantId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, user.id));
    const current = held.find((membership) => membership.tenantId === (tenant?.id ?? null));
    const result = { userId: user.id, email, tenant, role, invitedByName: invitedBy?.name ?? null };

    // Someone who already has an account (or a pending invitation from a client this inviter does
    // not manage) only gets a grant: a link that works for whoever signs in as that account
    // (docs/security.md). Whoever registered the address first gains nothing from the invitation.
    const ownInvitation =
      created || (user.status === "invited" && held.every((other) => manages(other.tenantId)));
    if (!ownInvitation) {
      if (current) throw alreadyMember(email, current.role, tenant);
      // Only an agency admin, who sees every account anyway, is told about the account's state;
      // a client admin gets the same answer whoever the address belongs to.
      if (manages(null)) refuseForAgencyAdmin(email, user.status, held, tenant);
      const [granted] = await tx
        .insert(membershipGrants)
        .values({
          userId: user.id,
          tenantId: tenant?.id ?? null,
          role,
          invitedByUserId: invitedBy?.userId ?? null,
          tokenHash,
          expiresAt,
        })
        .onConflictDoUpdate({
          target: [membershipGrants.userId, membershipGrants.tenantId],
          set: { role, invitedByUserId: invitedBy?.userId ?? null, tokenHash, expiresAt },
        })
        .returning({ expiresAt: membershipGrants.expiresAt });
      return {
        ...result,
        outcome: "granted" as const,
        link: inviteLink(baseUrl, token),
        token,
        expiresAt: granted?.expiresAt,
      };
    }

    refuseForAgencyAdmin(email, user.status, held, tenant);
    const membership = { role, invitedByUserId: invitedBy?.userId ?? null };
    if (current) {
      await tx.update(memberships).set(membership).where(eq(memberships.id, current.id));
    } else {
      await tx
        .insert(memberships)
        .values({ ...membership, userId: user.id, tenantId: tenant?.id ?? null });
    }

    let expires = user.inviteExpiresAt;
    if (!created) {
      // Still invited: a fresh token replaces the old one, so only the newest link works.
      const [reinvited] = await tx
        .update(users)
        .set({ inviteToken: tokenHash, inviteExpiresAt: expiresAt })
        .where(eq(users.id, user.id))
        .returning({ inviteExpiresAt: users.inviteExpiresAt });
      expires = reinvited?.inviteExpiresAt ?? null;
    }
    return {
      ...result,
      outcome: created ? ("invited" as const) : ("reinvited" as const),
      link: inviteLink(baseUrl, token),
      token,
      expiresAt: expires ?? undefined,
    };
  });
}

function alreadyMember(
  email: string,
  role: MembershipRole,
  tenant: { name: string } | null,
): TenancyError {
  return new TenancyError(
    "ALREADY_MEMBER",
    `${email} is already ${ROLE_NAMES[role]} of ${tenant?.name ?? "the agency"}.`,
    "email",
  );
}

/** The refusals only an agency admin sees (they list every user and their state anyway). */
function refuseForAgencyAdmin(
  email: string,
  status: UserStatus,
  held: { tenantId: string | null }[],
  tenant: { id: string } | null,
): void {
  if (status === "suspended") {
    throw new TenancyError(
      "USER_SUSPENDED",
      `${email} is suspended: an agency admin must reactivate them before they can be invited.`,
      "email",
    );
  }
  if (tenant && held.some((membership) => membership.tenantId === null)) {
    throw new TenancyError(
      "ALREADY_AGENCY_ADMIN",
      `${email} is an agency admin and already sees every client.`,
      "email",
    );
  }
}
