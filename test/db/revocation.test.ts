import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountKey, countAttempt } from "@/lib/auth/account-limit";
import { isKnownBrowser, knownBrowserStamp } from "@/lib/auth/known-browser";
import type { Database } from "@/lib/db/client";
import { membershipGrants, memberships, signInFailures, users } from "@/lib/db/schema";
import { acceptInvitation, findInvitation } from "@/lib/invitations/accept";
import { acceptGrant } from "@/lib/invitations/grants";
import { inviteToTenant } from "@/lib/invitations/invite";
import { listPendingOffers, revokeOffer } from "@/lib/invitations/revoke";
import { pruneExpiredRows, RETENTION } from "@/lib/retention";
import type { Actor } from "@/lib/tenancy/access";
import { reactivateUser, suspendUser } from "@/lib/tenancy/users";
import { authPost, cookiesFrom, newUser, TEST_SECRET, type TestAuth } from "../support/auth";
import {
  createActor,
  createTenantRow,
  createUserRow,
  expectRefusedWithoutWrites,
  invitationOptions,
  setUpTenancyDatabase,
  uniqueEmail,
} from "../support/tenancy";

// Issue 26, finding 6 and 3: nothing revoked a pending invitation or grant (a suspended admin's
// stayed usable up to 90 days), nothing pruned expired rows or sign-in failures, and the
// known-browser exemption outlived a password change and a suspension.

const setup = setUpTenancyDatabase();
let t: TestAuth;
let db: Database;
let agencyAdmin: Actor;
beforeAll(() => {
  ({ t, db, agencyAdmin } = setup);
});

const PASSWORD = "correct horse battery staple";

async function inviteNew(by: Actor, email = uniqueEmail("invitee")) {
  const tenant = await createTenantRow(db);
  const result = await inviteToTenant(
    by,
    { tenantId: tenant.id, email, role: "member" },
    invitationOptions(db),
  );
  return { tenant, result, token: result.token ?? "" };
}

async function grantToExisting(by: Actor) {
  const existing = await createUserRow(db);
  const { tenant, result, token } = await inviteNew(by, existing.email);
  expect(result.outcome).toBe("granted");
  return { existing, tenant, token };
}

const pendingFor = async (email: string) =>
  (await listPendingOffers(agencyAdmin, db)).filter((offer) => offer.email === email);

describe("revoking a pending invitation", () => {
  it("makes its link invalid and removes the invited user it leaves with nothing", async () => {
    const { result, token } = await inviteNew(agencyAdmin);
    const [offer] = await pendingFor(result.email);
    expect(offer).toMatchObject({ kind: "invitation", role: "member", expired: false });

    const message = await revokeOffer(agencyAdmin, { kind: offer?.kind, id: offer?.id }, db);
    expect(message).toContain(result.email);

    expect(await findInvitation(token, db)).toEqual({ state: "invalid" });
    await expect(
      acceptInvitation(t.auth, { token, name: "Someone", password: PASSWORD }, { db }),
    ).rejects.toMatchObject({ code: "INVITE_NOT_FOUND" });
    expect(await db.select().from(users).where(eq(users.id, result.userId))).toEqual([]);
    expect(await pendingFor(result.email)).toEqual([]);
  });

  it("keeps the other invitations the same person holds, and their link", async () => {
    const email = uniqueEmail("twice");
    const first = await inviteNew(agencyAdmin, email);
    const second = await inviteNew(agencyAdmin, email);
    const offers = await pendingFor(email);
    expect(offers).toHaveLength(2);
    const revoked = offers.find((offer) => offer.tenantName === first.tenant.name);
    await revokeOffer(agencyAdmin, { kind: "invitation", id: revoked?.id }, db);

    const view = await findInvitation(second.token, db);
    expect(view).toMatchObject({ state: "valid", grants: [{ tenantName: second.tenant.name }] });
  });

  it("revokes a grant: the account's owner can no longer accept it", async () => {
    const { existing, tenant, token } = await grantToExisting(agencyAdmin);
    const [offer] = await pendingFor(existing.email);
    expect(offer).toMatchObject({ kind: "grant", tenantName: tenant.name });
    await revokeOffer(agencyAdmin, { kind: "grant", id: offer?.id }, db);
    await expect(acceptGrant(existing.id, token, db)).rejects.toMatchObject({
      code: "INVITE_NOT_FOUND",
    });
    expect(await db.select().from(memberships).where(eq(memberships.userId, existing.id))).toEqual(
      [],
    );
  });

  it("is for agency admins only, and refuses what is not pending, writing nothing", async () => {
    const tenant = await createTenantRow(db);
    const clientAdmin = await createActor(db, [{ tenantId: tenant.id, role: "tenant_admin" }]);
    const { result } = await inviteNew(agencyAdmin);
    const [offer] = await pendingFor(result.email);
    await expectRefusedWithoutWrites(
      db,
      () => revokeOffer(clientAdmin, { kind: "invitation", id: offer?.id }, db),
      "FORBIDDEN",
    );
    // An accepted membership is no longer pending: the admin suspends the person instead.
    const [held] = await db
      .select({ id: memberships.id })
      .from(memberships)
      .where(eq(memberships.userId, clientAdmin.userId));
    await expectRefusedWithoutWrites(
      db,
      () => revokeOffer(agencyAdmin, { kind: "invitation", id: held?.id }, db),
      "OFFER_NOT_FOUND",
    );
    await expectRefusedWithoutWrites(
      db,
      () => revokeOffer(agencyAdmin, { kind: "grant", id: "not-a-uuid" }, db),
      "OFFER_NOT_FOUND",
    );
  });
});

describe("suspending a user", () => {
  it("revokes every invitation and grant they issued that is still pending, and nothing else", async () => {
    const admin = await createActor(db, [{ tenantId: null, role: "agency_admin" }]);
    const invited = await inviteNew(admin);
    const granted = await grantToExisting(admin);
    const accepted = await inviteNew(admin);
    await acceptInvitation(
      t.auth,
      { token: accepted.token, name: "Accepted", password: PASSWORD },
      { db },
    );
    const otherAdmins = await inviteNew(agencyAdmin);

    expect(await suspendUser(admin.userId, db)).toBe(true);

    expect(await findInvitation(invited.token, db)).toEqual({ state: "invalid" });
    await expect(acceptGrant(granted.existing.id, granted.token, db)).rejects.toMatchObject({
      code: "INVITE_NOT_FOUND",
    });
    // What was accepted stays, and so does what another admin sent.
    expect(
      await db
        .select({ tenantId: memberships.tenantId })
        .from(memberships)
        .where(eq(memberships.userId, accepted.result.userId)),
    ).toEqual([{ tenantId: accepted.tenant.id }]);
    expect(await findInvitation(otherAdmins.token, db)).toMatchObject({ state: "valid" });
  });
});

describe("the known-browser stamp", () => {
  async function signedUp() {
    const body = newUser();
    const response = await t.handle(authPost("/sign-up/email", body));
    expect(response.status).toBe(200);
    const [user] = await db.select().from(users).where(eq(users.email, body.email));
    return { ...body, id: user?.id ?? "", cookie: cookiesFrom(response) };
  }
  const stampIn = (cookie: string) => /known_browser=([^;]+)/.exec(cookie)?.[1];

  it("is what sign-up leaves in the browser, and stops matching after a password change", async () => {
    const user = await signedUp();
    const stamp = stampIn(user.cookie);
    expect(stamp).toBeDefined();
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, stamp)).toBe(true);
    // Not a fixed value per account: another secret, or another account, gives another stamp.
    expect(await knownBrowserStamp(db, `${TEST_SECRET}-other`, user.email)).not.toBe(stamp);

    const changed = await t.handle(
      authPost(
        "/change-password",
        { currentPassword: PASSWORD, newPassword: "another horse, another staple" },
        { cookie: user.cookie },
      ),
    );
    expect(changed.status).toBe(200);
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, stamp)).toBe(false);
    // The browser that changed it gets the new stamp.
    const renewed = stampIn(cookiesFrom(changed));
    expect(renewed).toBeDefined();
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, renewed)).toBe(true);
  });

  it("stops matching after a suspension, even once the user is reactivated", async () => {
    const user = await signedUp();
    const stamp = stampIn(user.cookie);
    await suspendUser(user.id, db);
    await reactivateUser(user.id, db);
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, stamp)).toBe(false);
  });

  it("matches no account without a password, nor a missing cookie", async () => {
    const invited = await createUserRow(db, { status: "invited" });
    expect(await knownBrowserStamp(db, TEST_SECRET, invited.email)).toBeUndefined();
    const user = await signedUp();
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, undefined)).toBe(false);
    expect(await isKnownBrowser(db, TEST_SECRET, user.email, "forged")).toBe(false);
  });
});

describe("pruning", () => {
  it(`deletes sign-in failures after ${RETENTION.signInFailuresHours} h and offers ${RETENTION.expiredOffersDays} days after expiry, and nothing younger`, async () => {
    const [oldKey, freshKey] = [accountKey(uniqueEmail("old")), accountKey(uniqueEmail("fresh"))];
    await countAttempt(db, oldKey);
    await countAttempt(db, freshKey);
    await db
      .update(signInFailures)
      .set({ windowStartedAt: sql`now() - interval '25 hours'` })
      .where(eq(signInFailures.accountKey, oldKey));

    const longExpired = await inviteNew(agencyAdmin);
    const justExpired = await inviteNew(agencyAdmin);
    const oldGrant = await grantToExisting(agencyAdmin);
    const expire = (days: number) => sql`now() - make_interval(days => ${days})`;
    await db
      .update(users)
      .set({ inviteExpiresAt: expire(31) })
      .where(eq(users.id, longExpired.result.userId));
    await db
      .update(users)
      .set({ inviteExpiresAt: expire(1) })
      .where(eq(users.id, justExpired.result.userId));
    await db
      .update(membershipGrants)
      .set({ expiresAt: expire(31) })
      .where(eq(membershipGrants.userId, oldGrant.existing.id));

    const report = await pruneExpiredRows(db);
    expect(report).toEqual({ signInFailures: 1, grants: 1, invitations: 1 });

    const keys = (await db.select().from(signInFailures)).map((row) => row.accountKey);
    expect(keys).toContain(freshKey);
    expect(keys).not.toContain(oldKey);
    expect(await findInvitation(longExpired.token, db)).toEqual({ state: "invalid" });
    expect(await findInvitation(justExpired.token, db)).toMatchObject({ state: "expired" });
    expect(await findInvitation(oldGrant.token, db)).toEqual({ state: "invalid" });
    // The account the grant was for is not an invitation: it stays.
    expect(await db.select().from(users).where(eq(users.id, oldGrant.existing.id))).toHaveLength(1);
  });

  it("deletes at most batchSize × maxBatches rows per table in one run", async () => {
    for (let index = 0; index < 5; index += 1) {
      await countAttempt(db, accountKey(uniqueEmail("many")));
    }
    const old = await db
      .update(signInFailures)
      .set({ windowStartedAt: sql`now() - interval '2 days'` })
      .returning({ id: signInFailures.id });
    expect(old.length).toBeGreaterThanOrEqual(5);
    expect((await pruneExpiredRows(db, { batchSize: 2, maxBatches: 2 })).signInFailures).toBe(4);
    expect((await pruneExpiredRows(db, { batchSize: 100, maxBatches: 1 })).signInFailures).toBe(
      old.length - 4,
    );
  });
});
