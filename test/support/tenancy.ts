import { randomUUID } from "node:crypto";
import { count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect } from "vitest";
import type { Database } from "@/lib/db/client";
import {
  accounts,
  type MembershipRole,
  membershipGrants,
  memberships,
  sessions,
  type Tenant,
  tenants,
  type UserStatus,
  users,
} from "@/lib/db/schema";
import type { InvitationOptions } from "@/lib/invitations/invite";
import { type Actor, loadActor } from "@/lib/tenancy/access";
import { TenancyError, type TenancyErrorCode } from "@/lib/tenancy/errors";
import { createTestAuth, type TestAuth } from "./auth";
import { createTestDatabase, type TestDatabase } from "./database";

/** Rows for tenancy tests, written with Drizzle the way the app writes them. */

export interface TenancyTestSetup {
  database: TestDatabase;
  t: TestAuth;
  db: Database;
  /** An active agency admin. */
  agencyAdmin: Actor;
}

/**
 * For one test file: a migrated database, a Better Auth instance on it and an agency admin. The
 * returned object is filled in `beforeAll`.
 */
export function setUpTenancyDatabase(): TenancyTestSetup {
  const setup = {} as TenancyTestSetup;
  beforeAll(async () => {
    setup.database = await createTestDatabase({ migrated: true });
    setup.t = createTestAuth(setup.database.url);
    setup.db = setup.t.connection.db;
    setup.agencyAdmin = await createActor(setup.db, [{ tenantId: null, role: "agency_admin" }]);
  });
  afterAll(async () => {
    await setup.t?.close();
    await setup.database?.drop();
  });
  return setup;
}

const unique = () => randomUUID().slice(0, 8);

export const INVITE_BASE_URL = "http://localhost:3000";

export function invitationOptions(db: Database, overrides: InvitationOptions = {}) {
  return { db, baseUrl: INVITE_BASE_URL, ttlDays: 7, ...overrides } satisfies InvitationOptions;
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${unique()}@example.com`;
}

export async function createTenantRow(db: Database, name = "Acme Dental"): Promise<Tenant> {
  const [tenant] = await db
    .insert(tenants)
    .values({
      name: `${name} ${unique()}`,
      slug: `${name.toLowerCase().replace(/\W+/g, "-")}-${unique()}`,
    })
    .returning();
  if (!tenant) throw new Error("no tenant row returned");
  return tenant;
}

/** A user row (no credential account) with the given memberships: `null` tenant = agency admin. */
export async function createUserRow(
  db: Database,
  options: {
    status?: UserStatus;
    email?: string;
    memberships?: { tenantId: string | null; role: MembershipRole }[];
  } = {},
): Promise<{ id: string; email: string }> {
  const email = options.email ?? uniqueEmail();
  const [user] = await db
    .insert(users)
    .values({ name: `Name of ${email}`, email, status: options.status ?? "active" })
    .returning({ id: users.id, email: users.email });
  if (!user) throw new Error("no users row returned");
  for (const membership of options.memberships ?? []) {
    await db.insert(memberships).values({ userId: user.id, ...membership });
  }
  return user;
}

/** An active user with these memberships, as an `Actor`. */
export async function createActor(
  db: Database,
  memberships: { tenantId: string | null; role: MembershipRole }[],
): Promise<Actor> {
  const user = await createUserRow(db, { memberships });
  const actor = await loadActor(user.id, db);
  if (!actor) throw new Error("the new user is not an active actor");
  return actor;
}

/** Everything a tenancy action could write, to show that a refused one wrote nothing. */
export async function snapshotTables(db: Database) {
  const [userRows, membershipRows, grantRows, accountRows, sessionRows, tenantRows] =
    await Promise.all([
      db.select().from(users).orderBy(users.id),
      db.select().from(memberships).orderBy(memberships.id),
      db.select().from(membershipGrants).orderBy(membershipGrants.id),
      db.select().from(accounts).orderBy(accounts.id),
      db.select().from(sessions).orderBy(sessions.id),
      db.select().from(tenants).orderBy(tenants.id),
    ]);
  return { userRows, membershipRows, grantRows, accountRows, sessionRows, tenantRows };
}

/** Asserts `action` is refused with `code` and leaves every table as it was. */
export async function expectRefusedWithoutWrites(
  db: Database,
  action: () => Promise<unknown>,
  code: TenancyErrorCode,
): Promise<TenancyError> {
  const before = await snapshotTables(db);
  const error = await action().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a ${code} refusal`).toBeInstanceOf(TenancyError);
  expect((error as TenancyError).code).toBe(code);
  expect(await snapshotTables(db)).toEqual(before);
  return error as TenancyError;
}

export async function sessionCount(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(sessions).where(eq(sessions.userId, userId));
  return row?.n ?? 0;
}

export async function userRow(db: Database, userId: string) {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  if (!row) throw new Error(`no users row ${userId}`);
  return row;
}

/** Moves a pending invitation's expiry into the past, as if the days had passed. */
export async function expireInvitation(db: Database, userId: string): Promise<void> {
  await db
    .update(users)
    .set({ inviteExpiresAt: sql`now() - interval '1 minute'` })
    .where(eq(users.id, userId));
}
