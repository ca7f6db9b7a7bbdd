import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { publicConstraints } from "../support/catalog";
import { migratedDatabaseForFile } from "../support/migrated-database";
import {
  expectRejected,
  insert,
  insertTenant,
  insertUser,
  membershipTables,
  type Row,
  rows,
} from "../support/schema-rows";

const database = migratedDatabaseForFile();

const newUser = () => insertUser(database.client);
const newTenant = () => insertTenant(database.client);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("users.email", () => {
  // Better Auth lowercases every email it reads or writes; the database refuses any other
  // spelling, so a plain unique index is a case-insensitive one (docs/schema.md).
  it("one address cannot be stored twice in any spelling", async () => {
    const sql = database.client;
    await insert(sql, "users", rows.user({ email: "ada@example.com" }));

    await expectRejected(
      sql,
      "users",
      rows.user({ email: "ADA@example.com" }),
      "users_email_lowercase_check",
    );
    await expectRejected(sql, "users", rows.user({ email: "ada@example.com" }), "users_email_uidx");
  });
});

// A grant is keyed like the membership it offers: inviting someone again replaces the grant's
// token rather than adding a second grant.
describe.each(membershipTables)(
  "%s: one per user and tenant, the null (agency-wide) tenant included",
  (table, row) => {
    const constraint = `${table}_user_id_tenant_id_uidx`;

    it("rejects a second row for a user in the same tenant", async () => {
      const key = { user_id: await newUser(), tenant_id: await newTenant() };
      await insert(database.client, table, row(key));

      await expectRejected(
        database.client,
        table,
        row({ ...key, role: "tenant_admin" }),
        constraint,
      );
    });

    it("rejects a second agency_admin row (null tenant) for the same user: NULLS NOT DISTINCT", async () => {
      const admin = { user_id: await newUser(), tenant_id: null, role: "agency_admin" };
      await insert(database.client, table, row(admin));

      await expectRejected(database.client, table, row(admin), constraint);
    });

    it("accepts one user in several tenants, and several agency admins", async () => {
      const sql = database.client;
      const userId = await newUser();
      for (const key of [
        { user_id: userId, tenant_id: await newTenant() },
        { user_id: userId, tenant_id: await newTenant() },
        { user_id: await newUser(), tenant_id: null, role: "agency_admin" },
        { user_id: await newUser(), tenant_id: null, role: "agency_admin" },
      ]) {
        await expect(insert(sql, table, row(key))).resolves.toHaveProperty("id");
      }
    });
  },
);

describe("membership_grants.token_hash", () => {
  // The emailed link's token is what finds the grant, so it must lead to exactly one.
  it("rejects a second grant with the same token hash, even for another user and tenant", async () => {
    const tokenHash = sha256("a grant token");
    const grant = async () =>
      rows.membershipGrant({
        user_id: await newUser(),
        tenant_id: await newTenant(),
        token_hash: tokenHash,
      });
    await insert(database.client, "membership_grants", await grant());

    await expectRejected(
      database.client,
      "membership_grants",
      await grant(),
      "membership_grants_token_hash_uidx",
    );
  });
});

const inviteToken = sha256("an invite token");

interface Parents {
  userId: string;
  tenantId: string;
}

/**
 * Rows that may be inserted once: built twice from the same parents, they share only the unique
 * key (every other unique column is random), so the second insert must hit that constraint.
 */
const onceOnly: [constraint: string, table: string, row: (parents: Parents) => Row][] = [
  [
    "users_invite_token_uidx",
    "users",
    () =>
      rows.user({
        status: "invited",
        invite_token: inviteToken,
        invite_expires_at: "2100-01-01T00:00:00Z",
      }),
  ],
  ["tenants_slug_uidx", "tenants", () => rows.tenant({ slug: "acme-dental" })],
  [
    "sessions_token_uidx",
    "sessions",
    ({ userId }) => rows.session(userId, { token: "session-token" }),
  ],
  [
    "accounts_provider_id_account_id_uidx",
    "accounts",
    ({ userId }) => rows.account(userId, { provider_id: "google", account_id: "1234" }),
  ],
  [
    "report_weeks_tenant_id_week_ending_date_uidx",
    "report_weeks",
    ({ tenantId }) => rows.reportWeek(tenantId, { week_ending_date: "2026-11-22" }),
  ],
  ["rate_limits_key_uidx", "rate_limits", () => rows.rateLimit({ key: "127.0.0.1/sign-in" })],
  [
    "sign_in_failures_account_key_uidx",
    "sign_in_failures",
    () =>
      rows.signInFailure({
        account_key: sha256("ada@example.com"),
      }),
  ],
];

describe("other unique constraints", () => {
  it.each(onceOnly)(
    "%s: a second %s row with the same key is rejected",
    async (constraint, table, row) => {
      const parents = { userId: await newUser(), tenantId: await newTenant() };
      await insert(database.client, table, row(parents));

      await expectRejected(database.client, table, row(parents), constraint);
    },
  );

  it("every unique constraint in the database is tested in this file", async () => {
    const uniques = (await publicConstraints(database.client)).filter((c) => c.type === "u");
    const tested = new Set([
      ...onceOnly.map(([constraint]) => constraint),
      "users_email_uidx",
      ...membershipTables.map(([table]) => `${table}_user_id_tenant_id_uidx`),
      "membership_grants_token_hash_uidx",
      // Not a rule of its own (id alone is unique): the target of ct_raw_snapshots' composite
      // foreign key, tested in schema-foreign-keys.test.ts.
      "sync_runs_id_tenant_id_uidx",
    ]);
    expect(uniques.map((c) => c.name).filter((name) => !tested.has(name))).toEqual([]);
  });
});
