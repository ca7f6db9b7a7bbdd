import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/lib/db/client";
import { memberships, tenants, users } from "@/lib/db/schema";
import { acceptInvitation, findInvitation } from "@/lib/invitations/accept";
import { inviteToTenant } from "@/lib/invitations/invite";
import { type Actor, loadActor } from "@/lib/tenancy/access";
import {
  createTenant,
  getTenant,
  listTenantMembers,
  listVisibleTenants,
} from "@/lib/tenancy/tenants";
import { changeUserStatus, listUsers } from "@/lib/tenancy/user-admin";
import { authPost, type TestAuth } from "../support/auth";
import {
  createActor,
  createTenantRow,
  createUserRow,
  expectRefusedWithoutWrites,
  invitationOptions,
  sessionCount,
  setUpTenancyDatabase,
  uniqueEmail,
  userRow,
} from "../support/tenancy";

const setup = setUpTenancyDatabase();
let t: TestAuth;
let db: Database;
let agencyAdmin: Actor;
beforeAll(() => {
  ({ t, db, agencyAdmin } = setup);
});

const NOT_FOUND = "No client with this id exists, or you do not have access to it.";

describe("loadActor", () => {
  it("reads the roles from the memberships", async () => {
    const a = await createTenantRow(db);
    const b = await createTenantRow(db);
    const actor = await createActor(db, [
      { tenantId: a.id, role: "tenant_admin" },
      { tenantId: b.id, role: "member" },
    ]);
    expect(actor.agencyAdmin).toBe(false);
    expect(Object.fromEntries(actor.tenantRoles)).toEqual({
      [a.id]: "tenant_admin",
      [b.id]: "member",
    });
    expect(agencyAdmin.agencyAdmin).toBe(true);
  });

  it("gives invited, suspended and unknown users no actor at all", async () => {
    for (const status of ["invited", "suspended"] as const) {
      const user = await createUserRow(db, {
        status,
        memberships: [{ tenantId: null, role: "agency_admin" }],
      });
      expect(await loadActor(user.id, db)).toBeNull();
    }
    expect(await loadActor("00000000-0000-4000-8000-000000000000", db)).toBeNull();
  });
});

describe("which tenants a user sees", () => {
  it("lists every tenant for an agency admin and only their own for others", async () => {
    const a = await createTenantRow(db, "Alpha");
    // Bravo exists and has a member, but not this one.
    const b = await createTenantRow(db, "Bravo");
    await createUserRow(db, { memberships: [{ tenantId: b.id, role: "member" }] });
    const member = await createActor(db, [{ tenantId: a.id, role: "member" }]);
    const none = await createActor(db, []);

    const all = await listVisibleTenants(agencyAdmin, db);
    const everyTenant = await db.select({ id: tenants.id }).from(tenants);
    expect(all.map((tenant) => tenant.id).sort()).toEqual(everyTenant.map((row) => row.id).sort());
    expect(all.every((tenant) => tenant.role === "agency_admin")).toBe(true);

    expect(await listVisibleTenants(member, db)).toEqual([
      { id: a.id, name: a.name, slug: a.slug, role: "member" },
    ]);
    expect(await listVisibleTenants(none, db)).toEqual([]);
  });
});

describe("a member of tenant A, holding tenant B's UUID", () => {
  let a: Awaited<ReturnType<typeof createTenantRow>>;
  let b: Awaited<ReturnType<typeof createTenantRow>>;
  let memberOfA: Actor;
  let adminOfA: Actor;

  beforeAll(async () => {
    a = await createTenantRow(db, "Alpha");
    b = await createTenantRow(db, "Bravo");
    await createUserRow(db, { memberships: [{ tenantId: b.id, role: "member" }] });
    memberOfA = await createActor(db, [{ tenantId: a.id, role: "member" }]);
    adminOfA = await createActor(db, [{ tenantId: a.id, role: "tenant_admin" }]);
  });

  it("cannot read B: it looks exactly like a tenant that does not exist", async () => {
    for (const actor of [memberOfA, adminOfA]) {
      const forbidden = await getTenant(actor, b.id, db).catch((error: Error) => error);
      const missing = await getTenant(actor, "00000000-0000-4000-8000-000000000000", db).catch(
        (error: Error) => error,
      );
      expect(forbidden).toMatchObject({ code: "TENANT_NOT_FOUND", message: NOT_FOUND });
      expect(missing).toMatchObject({ code: "TENANT_NOT_FOUND", message: NOT_FOUND });
      expect(await getTenant(actor, a.id, db)).toMatchObject({ id: a.id });
    }
  });

  it("cannot list B's people", async () => {
    for (const actor of [memberOfA, adminOfA]) {
      await expect(listTenantMembers(actor, b.id, db)).rejects.toMatchObject({
        code: "TENANT_NOT_FOUND",
      });
    }
    expect((await listTenantMembers(agencyAdmin, b.id, db)).length).toBe(1);
  });

  it("cannot invite anyone to B, whatever their role in A; nothing is written", async () => {
    for (const actor of [memberOfA, adminOfA]) {
      await expectRefusedWithoutWrites(
        db,
        () =>
          inviteToTenant(
            actor,
            { tenantId: b.id, email: uniqueEmail("intruder"), role: "tenant_admin" },
            invitationOptions(db),
          ),
        "TENANT_NOT_FOUND",
      );
    }
  });

  it("inviting B's people to A changes nothing of B: not their role, not their pending link", async () => {
    const active = await createUserRow(db, { memberships: [{ tenantId: b.id, role: "member" }] });
    const pending = await inviteToTenant(
      agencyAdmin,
      { tenantId: b.id, email: uniqueEmail("pending"), role: "member" },
      invitationOptions(db),
    );
    const before = await db.select().from(memberships).where(eq(memberships.tenantId, b.id));
    const pendingBefore = await userRow(db, pending.userId);

    const added = await inviteToTenant(
      adminOfA,
      { tenantId: a.id, email: active.email, role: "tenant_admin" },
      invitationOptions(db),
    );
    const joined = await inviteToTenant(
      adminOfA,
      { tenantId: a.id, email: pending.email, role: "member" },
      invitationOptions(db),
    );
    // Without their consent nobody joins A: both only get a link of their own to accept.
    expect(added).toMatchObject({ outcome: "granted" });
    expect(joined).toMatchObject({ outcome: "granted" });
    const inA = await db
      .select()
      .from(memberships)
      .where(
        and(
          eq(memberships.tenantId, a.id),
          inArray(memberships.userId, [active.id, pending.userId]),
        ),
      );
    expect(inA).toEqual([]);
    const pendingAfter = await userRow(db, pending.userId);
    expect(pendingAfter.inviteToken).toBe(pendingBefore.inviteToken);
    expect(pendingAfter.inviteExpiresAt).toEqual(pendingBefore.inviteExpiresAt);
    expect(await db.select().from(memberships).where(eq(memberships.tenantId, b.id))).toEqual(
      before,
    );
    const view = await findInvitation(pending.token, db);
    expect(view.state === "valid" && view.grants.map((grant) => grant.tenantName)).toEqual([
      b.name,
    ]);
  });

  it("as a plain member of A may see A but not its people", async () => {
    await expect(listTenantMembers(memberOfA, a.id, db)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const members = await listTenantMembers(adminOfA, a.id, db);
    expect(members.map((member) => member.userId)).toContain(memberOfA.userId);
  });
});

describe("creating tenants", () => {
  it("is for agency admins; the slug defaults to one made from the name", async () => {
    const tenant = await createTenant(agencyAdmin, { name: "  Dr. Müller & Söhne  " }, db);
    expect(tenant).toMatchObject({ name: "Dr. Müller & Söhne", slug: "dr-muller-sohne" });

    const other = await createTenantRow(db);
    const tenantAdmin = await createActor(db, [{ tenantId: other.id, role: "tenant_admin" }]);
    await expectRefusedWithoutWrites(
      db,
      () => createTenant(tenantAdmin, { name: "Sneaky", slug: "sneaky" }, db),
      "FORBIDDEN",
    );
  });

  it("refuses a slug in use, an invalid slug and an empty name, writing nothing", async () => {
    await createTenant(agencyAdmin, { name: "Taken", slug: "taken-slug" }, db);
    const taken = await expectRefusedWithoutWrites(
      db,
      () => createTenant(agencyAdmin, { name: "Other", slug: "taken-slug" }, db),
      "SLUG_TAKEN",
    );
    expect(taken.message).toBe(
      'Another client already uses the slug "taken-slug": choose another.',
    );
    for (const slug of ["-bad", "bad--slug", "spaces here", "ümlaut"]) {
      await expectRefusedWithoutWrites(
        db,
        () => createTenant(agencyAdmin, { name: "Name", slug }, db),
        "INVALID_SLUG",
      );
    }
    await expectRefusedWithoutWrites(
      db,
      () => createTenant(agencyAdmin, { name: "   ", slug: "fine" }, db),
      "INVALID_NAME",
    );
  });
});

describe("suspending and reactivating", () => {
  /** An active user with a password and a session, made through an invitation. */
  async function signedInUser() {
    const tenant = await createTenantRow(db);
    const invited = await inviteToTenant(
      agencyAdmin,
      { tenantId: tenant.id, email: uniqueEmail("staff"), role: "member" },
      invitationOptions(db),
    );
    const password = "correct horse battery staple";
    await acceptInvitation(t.auth, { token: invited.token, name: "Staff", password }, { db });
    return { id: invited.userId, email: invited.email, password };
  }

  const signIn = (user: { email: string; password: string }) =>
    t.handle(authPost("/sign-in/email", { email: user.email, password: user.password }));

  it("suspending ends every session and blocks sign-in; reactivating lets the user back in", async () => {
    const user = await signedInUser();
    expect((await signIn(user)).status).toBe(200);
    expect(await sessionCount(db, user.id)).toBe(2);

    expect(await changeUserStatus(agencyAdmin, { userId: user.id, change: "suspend" }, db)).toBe(
      "suspended",
    );
    expect(await sessionCount(db, user.id)).toBe(0);
    expect((await userRow(db, user.id)).status).toBe("suspended");
    expect((await signIn(user)).status).toBe(403);

    expect(await changeUserStatus(agencyAdmin, { userId: user.id, change: "reactivate" }, db)).toBe(
      "active",
    );
    expect((await signIn(user)).status).toBe(200);
  });

  it("puts a user suspended before accepting back to invited", async () => {
    const tenant = await createTenantRow(db);
    const invited = await inviteToTenant(
      agencyAdmin,
      { tenantId: tenant.id, email: uniqueEmail(), role: "member" },
      invitationOptions(db),
    );
    await changeUserStatus(agencyAdmin, { userId: invited.userId, change: "suspend" }, db);
    expect(
      await changeUserStatus(agencyAdmin, { userId: invited.userId, change: "reactivate" }, db),
    ).toBe("invited");
  });

  it("is for agency admins only, never on themselves, and needs a real user", async () => {
    const user = await signedInUser();
    const tenant = await createTenantRow(db);
    const tenantAdmin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    await expectRefusedWithoutWrites(
      db,
      () => changeUserStatus(tenantAdmin, { userId: user.id, change: "suspend" }, db),
      "FORBIDDEN",
    );
    await expectRefusedWithoutWrites(
      db,
      () => changeUserStatus(agencyAdmin, { userId: agencyAdmin.userId, change: "suspend" }, db),
      "CANNOT_SUSPEND_SELF",
    );
    for (const userId of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      await expectRefusedWithoutWrites(
        db,
        () => changeUserStatus(agencyAdmin, { userId, change: "suspend" }, db),
        "USER_NOT_FOUND",
      );
    }
    // Reactivating someone who is not suspended changes nothing.
    await expectRefusedWithoutWrites(
      db,
      () => changeUserStatus(agencyAdmin, { userId: user.id, change: "reactivate" }, db),
      "USER_NOT_FOUND",
    );
  });

  it("lists every user with their memberships for agency admins only", async () => {
    const overview = await listUsers(agencyAdmin, db);
    expect(overview.find((user) => user.id === agencyAdmin.userId)?.memberships).toEqual([
      { tenantId: null, tenantName: null, role: "agency_admin" },
    ]);
    const everyUser = await db.select({ id: users.id }).from(users);
    expect(overview).toHaveLength(everyUser.length);

    const tenant = await createTenantRow(db);
    const tenantAdmin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    await expect(listUsers(tenantAdmin, db)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
