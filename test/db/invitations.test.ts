import { createHash } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEnv, readEnv } from "@/env";
import type { Database } from "@/lib/db/client";
import { accounts, membershipGrants, memberships, users } from "@/lib/db/schema";
import { acceptInvitation, findInvitation } from "@/lib/invitations/accept";
import { acceptGrant } from "@/lib/invitations/grants";
import { inviteAgencyAdmin, inviteToTenant } from "@/lib/invitations/invite";
import { invitationOutcomeMessage } from "@/lib/invitations/messages";
import type { Actor } from "@/lib/tenancy/access";
import { TenancyError } from "@/lib/tenancy/errors";
import { suspendUser } from "@/lib/tenancy/users";
import { authPost, cookiesFrom, createTestAuth, type TestAuth } from "../support/auth";
import type { TestDatabase } from "../support/database";
import {
  createActor,
  createTenantRow,
  createUserRow,
  expectRefusedWithoutWrites,
  expireInvitation,
  INVITE_BASE_URL,
  invitationOptions,
  sessionCount,
  setUpTenancyDatabase,
  uniqueEmail,
  userRow,
} from "../support/tenancy";

const setup = setUpTenancyDatabase();
let database: TestDatabase;
let t: TestAuth;
let db: Database;
let agencyAdmin: Actor;
beforeAll(() => {
  ({ database, t, db, agencyAdmin } = setup);
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const PASSWORD = "correct horse battery staple";

async function invite(email = uniqueEmail("invitee"), role: unknown = "member") {
  const tenant = await createTenantRow(db);
  const result = await inviteToTenant(
    agencyAdmin,
    { tenantId: tenant.id, email, role },
    invitationOptions(db),
  );
  return { tenant, result, token: result.token ?? "" };
}

describe("inviting to a tenant", () => {
  it("creates an invited user holding only the SHA-256 of a 256-bit token, and the membership", async () => {
    const email = uniqueEmail("new");
    const { tenant, result, token } = await invite(email.toUpperCase());

    expect(result.outcome).toBe("invited");
    expect(result.email).toBe(email);
    // 32 random bytes, base64url: 43 characters, and the link carries it.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(result.link).toBe(`${INVITE_BASE_URL}/invite/${token}`);

    const user = await userRow(db, result.userId);
    expect(user).toMatchObject({ email, status: "invited", inviteToken: sha256(token) });
    expect(JSON.stringify(user)).not.toContain(token);
    expect(user.inviteExpiresAt).toEqual(result.expiresAt);

    const rows = await db.select().from(memberships).where(eq(memberships.userId, result.userId));
    expect(rows).toEqual([
      expect.objectContaining({
        tenantId: tenant.id,
        role: "member",
        invitedByUserId: agencyAdmin.userId,
      }),
    ]);
  });

  it("sets the expiry TTL days ahead by the database's clock (7 by default, configurable)", async () => {
    expect(parseEnv({}).INVITE_TTL_DAYS).toBe(7);
    const tenant = await createTenantRow(db);
    // No ttlDays: the invitation reads INVITE_TTL_DAYS itself.
    const byDefault = await inviteToTenant(
      agencyAdmin,
      { tenantId: tenant.id, email: uniqueEmail(), role: "member" },
      { db, baseUrl: INVITE_BASE_URL },
    );
    const day = await inviteToTenant(
      agencyAdmin,
      { tenantId: tenant.id, email: uniqueEmail(), role: "member" },
      invitationOptions(db, { ttlDays: 1 }),
    );
    const [row] = await db.execute<{ byDefault: string; day: string }>(sql`
      select
        (select invite_expires_at - created_at from users where id = ${byDefault.userId})::text
          as "byDefault",
        (select invite_expires_at - created_at from users where id = ${day.userId})::text as day`);
    expect(row).toEqual({ byDefault: `${readEnv().INVITE_TTL_DAYS} days`, day: "1 day" });
  });

  it("lets a tenant admin invite to their own tenant, with either tenant role", async () => {
    const tenant = await createTenantRow(db);
    const tenantAdmin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    for (const role of ["member", "tenant_admin"]) {
      const result = await inviteToTenant(
        tenantAdmin,
        { tenantId: tenant.id, email: uniqueEmail(), role },
        invitationOptions(db),
      );
      expect(result).toMatchObject({ outcome: "invited", role, tenant: { id: tenant.id } });
    }
  });

  it("re-inviting replaces the token: the old link stops working, the new one works", async () => {
    const email = uniqueEmail("again");
    const first = await invite(email);
    const second = await inviteToTenant(
      agencyAdmin,
      { tenantId: first.tenant.id, email, role: "tenant_admin" },
      invitationOptions(db),
    );
    expect(second.outcome).toBe("reinvited");
    expect(second.userId).toBe(first.result.userId);
    expect(second.token).not.toBe(first.token);
    expect((await userRow(db, second.userId)).inviteToken).toBe(sha256(second.token ?? ""));
    // The role changed with the re-invitation; still one membership.
    const rows = await db.select().from(memberships).where(eq(memberships.userId, second.userId));
    expect(rows.map((row) => row.role)).toEqual(["tenant_admin"]);

    expect(await findInvitation(first.token, db)).toEqual({ state: "invalid" });
    await expectRefusedWithoutWrites(
      db,
      () =>
        acceptInvitation(t.auth, { token: first.token, name: "Old", password: PASSWORD }, { db }),
      "INVITE_NOT_FOUND",
    );
    await acceptInvitation(
      t.auth,
      { token: second.token, name: "New", password: PASSWORD },
      { db },
    );
    expect((await userRow(db, second.userId)).status).toBe("active");
  });

  it("gives an existing account only a grant: access once its owner accepts it signed in", async () => {
    const other = await createTenantRow(db);
    const user = await createUserRow(db, { memberships: [{ tenantId: other.id, role: "member" }] });
    const { tenant, result, token } = await invite(user.email);
    expect(result).toMatchObject({ outcome: "granted", userId: user.id });
    expect(result.link).toBe(`${INVITE_BASE_URL}/invite/${token}`);
    const tenantIds = async () =>
      (await db.select().from(memberships).where(eq(memberships.userId, user.id)))
        .map((membership) => membership.tenantId)
        .sort();
    expect(await tenantIds()).toEqual([other.id]);
    const [grant] = await db
      .select()
      .from(membershipGrants)
      .where(eq(membershipGrants.userId, user.id));
    expect(grant).toMatchObject({ tenantId: tenant.id, role: "member", tokenHash: sha256(token) });
    expect(await findInvitation(token, db)).toMatchObject({
      state: "grant",
      userId: user.id,
      email: user.email,
      grant: { tenantName: tenant.name, role: "member" },
    });

    // Someone else signed in, holding the link, gains nothing and uses nothing up.
    const stranger = await createUserRow(db);
    await expectRefusedWithoutWrites(db, () => acceptGrant(stranger.id, token, db), "FORBIDDEN");

    expect(await acceptGrant(user.id, token, db)).toBe(
      `You now have access to ${tenant.name} as Member.`,
    );
    expect(await tenantIds()).toEqual([other.id, tenant.id].sort());
    expect((await userRow(db, user.id)).emailVerified).toBe(true);
    await expectRefusedWithoutWrites(db, () => acceptGrant(user.id, token, db), "INVITE_NOT_FOUND");
  });

  it("tells a client admin the same whether or not the address has an account", async () => {
    const tenant = await createTenantRow(db);
    const admin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    const [fresh, active, suspended, agencyWide] = [
      uniqueEmail("fresh"),
      (await createUserRow(db)).email,
      (await createUserRow(db, { status: "suspended" })).email,
      (await createUserRow(db, { memberships: [{ tenantId: null, role: "agency_admin" }] })).email,
    ];
    const answers = [];
    for (const email of [fresh, active, suspended, agencyWide]) {
      const result = await inviteToTenant(
        admin,
        { tenantId: tenant.id, email, role: "member" },
        invitationOptions(db),
      );
      const { message } = invitationOutcomeMessage(result, { status: "not-sent", link: "L" });
      answers.push(message.replace(email, "<email>"));
    }
    expect(new Set(answers).size).toBe(1);
  });

  it("can invite an agency admin (agency admins only): a membership with no tenant", async () => {
    const result = await inviteAgencyAdmin(
      agencyAdmin,
      { email: uniqueEmail("admin") },
      invitationOptions(db),
    );
    expect(result).toMatchObject({ outcome: "invited", tenant: null, role: "agency_admin" });
    const rows = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.userId, result.userId), isNull(memberships.tenantId)));
    expect(rows).toHaveLength(1);

    const tenant = await createTenantRow(db);
    const tenantAdmin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    await expectRefusedWithoutWrites(
      db,
      () => inviteAgencyAdmin(tenantAdmin, { email: uniqueEmail() }, invitationOptions(db)),
      "FORBIDDEN",
    );
  });
});

describe("bad invitations: a clear error and nothing written", () => {
  let tenantId: string;
  beforeAll(async () => {
    tenantId = (await createTenantRow(db)).id;
  });
  const attempt =
    (input: Record<string, unknown>, actor: Actor = agencyAdmin) =>
    () =>
      inviteToTenant(
        actor,
        { tenantId, email: uniqueEmail(), role: "member", ...input },
        invitationOptions(db),
      );

  it.each([
    ["not-an-email"],
    ["two@@example.com"],
    [""],
    [undefined],
    [`${"x".repeat(250)}@example.com`],
  ])("refuses the email %j", async (email) => {
    const error = await expectRefusedWithoutWrites(db, attempt({ email }), "INVALID_EMAIL");
    expect(error.message).toBe("Enter a valid email address.");
    expect(error.field).toBe("email");
  });

  it.each([["owner"], ["agency_admin"], [""], [null]])("refuses the role %j", async (role) => {
    const error = await expectRefusedWithoutWrites(db, attempt({ role }), "INVALID_ROLE");
    expect(error.message).toMatch(/is not a client role: choose Client admin or Member/);
  });

  it.each([
    ["an unknown UUID", "00000000-0000-4000-8000-000000000000"],
    ["not a UUID", "acme"],
    ["nothing", undefined],
  ])("refuses a tenant that is %s", async (_label, id) => {
    const error = await expectRefusedWithoutWrites(
      db,
      attempt({ tenantId: id }),
      "TENANT_NOT_FOUND",
    );
    expect(error.message).toBe("No client with this id exists, or you do not have access to it.");
  });

  it("refuses to invite an active member of that tenant again", async () => {
    const member = await createUserRow(db, { memberships: [{ tenantId, role: "member" }] });
    const error = await expectRefusedWithoutWrites(
      db,
      attempt({ email: member.email, role: "tenant_admin" }),
      "ALREADY_MEMBER",
    );
    expect(error.message).toMatch(/is already Member of Acme Dental/);
  });

  it("refuses to invite an agency admin to a tenant (they see every tenant already)", async () => {
    await expectRefusedWithoutWrites(
      db,
      attempt({ email: agencyAdmin.email }),
      "ALREADY_AGENCY_ADMIN",
    );
  });

  it("refuses to invite a suspended user", async () => {
    const user = await createUserRow(db, { status: "suspended" });
    const error = await expectRefusedWithoutWrites(
      db,
      attempt({ email: user.email }),
      "USER_SUSPENDED",
    );
    expect(error.message).toMatch(/must reactivate them/);
  });

  it("refuses members: only tenant admins and agency admins invite", async () => {
    const member = await createActor(db, [{ tenantId, role: "member" }]);
    await expectRefusedWithoutWrites(db, attempt({}, member), "FORBIDDEN");
  });
});

describe("the invite page's view of a token", () => {
  it("shows who invited whom to which tenant", async () => {
    const { tenant, result, token } = await invite(undefined, "tenant_admin");
    expect(await findInvitation(token, db)).toEqual({
      state: "valid",
      email: result.email,
      name: result.email.split("@")[0],
      expiresAt: result.expiresAt,
      grants: [{ tenantName: tenant.name, role: "tenant_admin", invitedByName: agencyAdmin.name }],
    });
  });

  it("says expired for an expired token and invalid for unknown or malformed ones", async () => {
    const { result, token } = await invite();
    await expireInvitation(db, result.userId);
    expect(await findInvitation(token, db)).toMatchObject({ state: "expired" });
    expect(await findInvitation("A".repeat(43), db)).toEqual({ state: "invalid" });
    expect(await findInvitation("../../etc/passwd", db)).toEqual({ state: "invalid" });
  });
});

describe("accepting an invitation", () => {
  it("creates a credential account with Better Auth's hash, activates, clears the token, signs in", async () => {
    const { result, token } = await invite();
    const accepted = await acceptInvitation(
      t.auth,
      { token, name: "  Grace Hopper ", password: PASSWORD },
      { db },
    );
    expect(accepted).toMatchObject({ userId: result.userId, email: result.email });

    const user = await userRow(db, result.userId);
    expect(user).toMatchObject({
      name: "Grace Hopper",
      status: "active",
      inviteToken: null,
      inviteExpiresAt: null,
    });
    const [account] = await db.select().from(accounts).where(eq(accounts.userId, user.id));
    expect(account).toMatchObject({ providerId: "credential", accountId: user.id });
    expect(account?.password).not.toContain(PASSWORD);
    const context = await t.auth.$context;
    expect(
      await context.password.verify({ hash: account?.password ?? "", password: PASSWORD }),
    ).toBe(true);

    // Signed in: the returned cookie is a session of this user ...
    const cookie = cookiesFrom(
      new Response(null, { headers: accepted.sessionHeaders ?? undefined }),
    );
    const session = await t.auth.api.getSession({ headers: new Headers({ cookie }) });
    expect(session?.user.id).toBe(user.id);
    expect(await sessionCount(db, user.id)).toBe(1);
    // ... and the password works through the sign-in endpoint.
    const signIn = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: PASSWORD }),
    );
    expect(signIn.status).toBe(200);
  });

  it("refuses an expired token with its own message and changes nothing", async () => {
    const { result, token } = await invite();
    await expireInvitation(db, result.userId);
    const error = await expectRefusedWithoutWrites(
      db,
      () => acceptInvitation(t.auth, { token, name: "Late", password: PASSWORD }, { db }),
      "INVITE_EXPIRED",
    );
    expect(error.message).toMatch(
      /^This invitation expired on .+\. Ask the person who invited you/,
    );
    expect((await userRow(db, result.userId)).status).toBe("invited");
  });

  it("refuses a used token: the second accept changes nothing", async () => {
    const { result, token } = await invite();
    await acceptInvitation(t.auth, { token, name: "First", password: PASSWORD }, { db });
    const error = await expectRefusedWithoutWrites(
      db,
      () =>
        acceptInvitation(t.auth, { token, name: "Second", password: "another password" }, { db }),
      "INVITE_NOT_FOUND",
    );
    expect(error.message).toMatch(/has been used already/);
    expect((await userRow(db, result.userId)).name).toBe("First");
  });

  it.each([
    ["well-formed but unknown", "B".repeat(43)],
    ["malformed", "not a token"],
    ["missing", undefined],
  ])("refuses a %s token", async (_label, token) => {
    await expectRefusedWithoutWrites(
      db,
      () => acceptInvitation(t.auth, { token, name: "Nobody", password: PASSWORD }, { db }),
      "INVITE_NOT_FOUND",
    );
  });

  it("refuses dead tokens before hashing the password, so they cost the server no scrypt", async () => {
    const { result, token } = await invite();
    await expireInvitation(db, result.userId);
    const context = await t.auth.$context;
    const hash = vi.spyOn(context.password, "hash");
    try {
      for (const dead of [token, "C".repeat(43)]) {
        await expect(
          acceptInvitation(t.auth, { token: dead, name: "N", password: PASSWORD }, { db }),
        ).rejects.toBeInstanceOf(TenancyError);
      }
      expect(hash).not.toHaveBeenCalled();
    } finally {
      hash.mockRestore();
    }
  });

  it.each([
    ["an empty name", { name: "  " }, "INVALID_NAME"],
    ["a too short password", { password: "short" }, "INVALID_PASSWORD"],
    ["a too long password", { password: "x".repeat(129) }, "INVALID_PASSWORD"],
  ] as const)("refuses %s and leaves the invitation usable", async (_label, input, code) => {
    const { result, token } = await invite();
    await expectRefusedWithoutWrites(
      db,
      () =>
        acceptInvitation(
          t.auth,
          { token, name: "Valid Name", password: PASSWORD, ...input },
          { db },
        ),
      code,
    );
    expect(await findInvitation(token, db)).toMatchObject({ state: "valid", email: result.email });
  });

  it("refuses the token of a user suspended before accepting", async () => {
    const { result, token } = await invite();
    await suspendUser(result.userId, db);
    await expectRefusedWithoutWrites(
      db,
      () => acceptInvitation(t.auth, { token, name: "Sus", password: PASSWORD }, { db }),
      "INVITE_NOT_FOUND",
    );
  });
});

describe("two accepts of one token at the same moment", () => {
  let second: TestAuth;
  let holder: TestAuth;
  beforeAll(() => {
    // Each accept gets its own Better Auth instance and pool: two separate connections.
    second = createTestAuth(database.url);
    holder = createTestAuth(database.url);
  });
  afterAll(async () => {
    await second?.close();
    await holder?.close();
  });

  it("exactly one wins; the other is refused and writes nothing", async () => {
    const { result, token } = await invite();
    // Hold the user's row lock so both accepts are inside their UPDATE, waiting, before either
    // can commit: the race is forced, not left to timing.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lockHeld = new Promise<void>((resolve) => {
      void holder.connection.db.transaction(async (tx) => {
        await tx.select().from(users).where(eq(users.id, result.userId)).for("update");
        resolve();
        await released;
      });
    });
    await lockHeld;

    const attempts = Promise.allSettled([
      acceptInvitation(t.auth, { token, name: "Alpha", password: "alpha password" }, { db }),
      acceptInvitation(
        second.auth,
        { token, name: "Bravo", password: "bravo password" },
        { db: second.connection.db },
      ),
    ]);
    await waitForLockWaiters(2);
    release();
    const outcomes = await attempts;

    const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const lost = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: "INVITE_NOT_FOUND" });

    const user = await userRow(db, result.userId);
    const winner = user.name === "Alpha" ? "alpha password" : "bravo password";
    expect(["Alpha", "Bravo"]).toContain(user.name);
    const rows = await db.select().from(accounts).where(eq(accounts.userId, user.id));
    expect(rows).toHaveLength(1);
    const context = await t.auth.$context;
    expect(await context.password.verify({ hash: rows[0]?.password ?? "", password: winner })).toBe(
      true,
    );
    expect(await sessionCount(db, user.id)).toBe(1);
  });
});

/** Polls pg_stat_activity until `n` backends of this database wait on a lock. */
async function waitForLockWaiters(n: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const [row] = await db.execute<{ waiting: number }>(sql`
      select count(*)::int as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`);
    if ((row?.waiting ?? 0) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${n} accepts never both waited on the row lock`);
}
