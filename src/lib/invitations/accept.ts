import { and, asc, eq, gt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Auth } from "@/lib/auth/create-auth";
import { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/auth/input";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import { accounts, memberships, tenants, users } from "@/lib/db/schema";
import { TenancyError } from "@/lib/tenancy/errors";
import { findGrant, type InvitationGrant } from "./grants";
import { INVITE_NOT_FOUND_MESSAGE, inviteExpiredMessage } from "./refusals";
import { hashInviteToken, isInviteTokenShaped } from "./tokens";

export type InvitationView =
  | { state: "valid"; email: string; name: string; expiresAt: Date; grants: InvitationGrant[] }
  /** Access for an account that exists: its owner accepts it signed in (`acceptGrant`). */
  | { state: "grant"; userId: string; email: string; expiresAt: Date; grant: InvitationGrant }
  | { state: "expired"; expiresAt: Date }
  | { state: "invalid" };

/**
 * What `/invite/[token]` shows: who invited whom to which tenants. Reading never uses the token up
 * (link previews and scanners fetch pages too); only `acceptInvitation` does.
 */
export async function findInvitation(
  token: unknown,
  db: Database = getDb(),
): Promise<InvitationView> {
  if (!isInviteTokenShaped(token)) return { state: "invalid" };
  const tokenHash = hashInviteToken(token);
  const user = await pendingInvitation(db, tokenHash);
  if (!user?.expiresAt) {
    const pending = await findGrant(tokenHash, db);
    if (!pending) return { state: "invalid" };
    if (pending.expired) return { state: "expired", expiresAt: pending.expiresAt };
    const { userId, email, expiresAt, grant } = pending;
    return { state: "grant", userId, email, expiresAt, grant };
  }
  if (user.expired) return { state: "expired", expiresAt: user.expiresAt };

  const inviter = alias(users, "inviter");
  const grants = await db
    .select({ tenantName: tenants.name, role: memberships.role, invitedByName: inviter.name })
    .from(memberships)
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .leftJoin(inviter, eq(inviter.id, memberships.invitedByUserId))
    .where(eq(memberships.userId, user.id))
    .orderBy(sql`${tenants.name} asc nulls first`, asc(memberships.createdAt));
  return {
    state: "valid",
    email: user.email,
    name: user.name,
    expiresAt: user.expiresAt,
    grants,
  };
}

const acceptInput = z.object({
  name: z.string().trim().min(1).max(NAME_MAX_LENGTH),
  password: z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH),
});

export interface AcceptOptions {
  db?: Database;
  /** The request's headers, so the new session records its IP address and user agent. */
  headers?: Headers;
}

export interface AcceptedInvitation {
  userId: string;
  email: string;
  /**
   * Set-Cookie headers of the session Better Auth created. Inside a server action, Better Auth's
   * `nextCookies()` plugin has already put them on the response; elsewhere, send them yourself.
   * Null if signing in failed after the account was activated (the user can then sign in).
   */
  sessionHeaders: Headers | null;
}

/**
 * Accepts an invitation: the invitee's name and a credential account with Better Auth's password
 * hash are written, in one transaction with `status = active` and the token and expiry cleared;
 * then Better Auth signs them in (which sets the session cookie).
 *
 * The token is used up by one conditional UPDATE (`… WHERE invite_token = $hash AND
 * invite_expires_at > now()`): of two concurrent accepts, the second waits for the first's row
 * lock, re-checks the condition against the committed row, finds no token and matches nothing. An
 * expired, used or unknown token changes nothing.
 */
export async function acceptInvitation(
  auth: Auth,
  input: { token: unknown; name: unknown; password: unknown },
  options: AcceptOptions = {},
): Promise<AcceptedInvitation> {
  const db = options.db ?? getDb();
  if (!isInviteTokenShaped(input.token)) {
    throw new TenancyError("INVITE_NOT_FOUND", INVITE_NOT_FOUND_MESSAGE);
  }
  const tokenHash = hashInviteToken(input.token);
  const { name, password } = parseAcceptInput(input);
  // A cheap read first, so requests with dead tokens cost no scrypt hash (nobody can make the
  // server hash passwords for free); the UPDATE below is what guarantees a single use.
  const refused = await refusal(db, tokenHash);
  if (refused) throw refused;
  // scrypt takes a while: hash before the transaction so no row lock waits on it.
  const passwordHash = await (await auth.$context).password.hash(password);

  const activated = await db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ name, status: "active", inviteToken: null, inviteExpiresAt: null })
      .where(
        and(
          eq(users.inviteToken, tokenHash),
          eq(users.status, "invited"),
          gt(users.inviteExpiresAt, sql`now()`),
        ),
      )
      .returning({ id: users.id, email: users.email });
    if (!user) {
      throw (
        (await refusal(tx, tokenHash)) ??
        new TenancyError("INVITE_NOT_FOUND", INVITE_NOT_FOUND_MESSAGE)
      );
    }
    // Better Auth's shape for an email-and-password account: provider "credential", account id =
    // user id. An invited user has none; the upsert keeps a stray one from blocking activation.
    await tx
      .insert(accounts)
      .values({
        userId: user.id,
        accountId: user.id,
        providerId: "credential",
        password: passwordHash,
      })
      .onConflictDoUpdate({
        target: [accounts.providerId, accounts.accountId],
        set: { password: passwordHash },
      });
    return user;
  });

  let sessionHeaders: Headers | null = null;
  try {
    // Signing in through Better Auth (not writing a session row by hand) runs its session hooks
    // and signs the cookie exactly as a sign-in does. `auth.api` calls are not rate limited.
    sessionHeaders = (
      await auth.api.signInEmail({
        body: { email: activated.email, password },
        headers: options.headers ?? new Headers(),
        returnHeaders: true,
      })
    ).headers;
  } catch (error) {
    console.error(
      `[invitations] ${activated.email} was activated but could not be signed in: ${String(error)}`,
    );
  }
  return { userId: activated.id, email: activated.email, sessionHeaders };
}

function parseAcceptInput(input: { name: unknown; password: unknown }) {
  const parsed = acceptInput.safeParse({
    name: typeof input.name === "string" ? input.name : "",
    password: typeof input.password === "string" ? input.password : "",
  });
  if (parsed.success) return parsed.data;
  if (parsed.error.issues[0]?.path[0] === "name") {
    throw new TenancyError(
      "INVALID_NAME",
      `Enter a name of 1 to ${NAME_MAX_LENGTH} characters.`,
      "name",
    );
  }
  throw new TenancyError(
    "INVALID_PASSWORD",
    `Choose a password of ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
    "password",
  );
}

/** The invited user holding this token hash, expired or not; expiry by the database clock. */
async function pendingInvitation(db: Pick<Database, "select">, tokenHash: string) {
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      expiresAt: users.inviteExpiresAt,
      expired: sql<boolean>`${users.inviteExpiresAt} <= now()`,
    })
    .from(users)
    .where(and(eq(users.inviteToken, tokenHash), eq(users.status, "invited")));
  return row;
}

/**
 * Why a token cannot be used now, or null if it can: an expired token still has its row; a used,
 * replaced or unknown one has none.
 */
async function refusal(
  db: Pick<Database, "select">,
  tokenHash: string,
): Promise<TenancyError | null> {
  const row = await pendingInvitation(db, tokenHash);
  if (!row?.expiresAt) return new TenancyError("INVITE_NOT_FOUND", INVITE_NOT_FOUND_MESSAGE);
  if (row.expired) return new TenancyError("INVITE_EXPIRED", inviteExpiredMessage(row.expiresAt));
  return null;
}
