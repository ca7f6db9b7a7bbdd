import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
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

// Every check constraint, each broken by one row: Postgres refuses it, names the constraint and
// writes nothing.

const database = migratedDatabaseForFile();

let userId: string;
let tenantId: string;

beforeAll(async () => {
  userId = await insertUser(database.client);
  tenantId = await insertTenant(database.client);
});

const sha256 = createHash("sha256").update("an invite token").digest("hex");
// ISO strings, not Dates: drizzle's postgres-js driver turns off postgres.js's date serializers.
const nextWeek = "2100-01-08T00:00:00Z";
const started = "2026-11-23T09:00:00Z";
const finished = "2026-11-23T09:05:00Z";

type Case = [constraint: string, table: string, wrong: string, row: () => Row];

const cases: Case[] = [
  [
    "users_email_lowercase_check",
    "users",
    "an email with capitals",
    () => rows.user({ email: "Ada@Example.com" }),
  ],
  ["users_status_check", "users", "an unknown status", () => rows.user({ status: "hacker" })],
  [
    "users_invite_token_sha256_check",
    "users",
    "an invite token that is not a SHA-256 hex digest",
    () => rows.user({ invite_token: "the-raw-token", invite_expires_at: nextWeek }),
  ],
  [
    "users_invite_expires_at_check",
    "users",
    "an invite token without an expiry",
    () => rows.user({ invite_token: sha256 }),
  ],
  [
    "users_invite_expires_at_check",
    "users",
    "an invite expiry without a token",
    () => rows.user({ invite_expires_at: nextWeek }),
  ],
  [
    "tenants_slug_check",
    "tenants",
    "a slug with capitals and spaces",
    () => rows.tenant({ slug: "Acme Dental" }),
  ],
  [
    "tenants_slug_check",
    "tenants",
    "a slug with a trailing dash",
    () => rows.tenant({ slug: "acme-" }),
  ],
  ["tenants_name_check", "tenants", "a blank name", () => rows.tenant({ name: "   " })],
  ...membershipTables.flatMap(([table, row]): Case[] => [
    [
      `${table}_role_check`,
      table,
      "an unknown role",
      () => row({ user_id: userId, tenant_id: tenantId, role: "owner" }),
    ],
    [
      `${table}_agency_admin_tenant_check`,
      table,
      "an agency_admin tied to one tenant",
      () => row({ user_id: userId, tenant_id: tenantId, role: "agency_admin" }),
    ],
    [
      `${table}_agency_admin_tenant_check`,
      table,
      "a member without a tenant",
      () => row({ user_id: userId, tenant_id: null, role: "member" }),
    ],
  ]),
  [
    "membership_grants_token_hash_sha256_check",
    "membership_grants",
    "a token hash that is the raw token",
    () =>
      rows.membershipGrant({ user_id: userId, tenant_id: tenantId, token_hash: "the-raw-token" }),
  ],
  [
    "membership_grants_token_hash_sha256_check",
    "membership_grants",
    "a token hash in upper-case hex",
    () =>
      rows.membershipGrant({
        user_id: userId,
        tenant_id: tenantId,
        token_hash: sha256.toUpperCase(),
      }),
  ],
  [
    "report_weeks_status_check",
    "report_weeks",
    "an unknown status",
    () => rows.reportWeek(tenantId, { status: "archived" }),
  ],
  [
    "report_weeks_published_at_check",
    "report_weeks",
    "a published week without published_at",
    () => rows.reportWeek(tenantId, { status: "published" }),
  ],
  [
    "report_weeks_published_at_check",
    "report_weeks",
    "a draft with published_at",
    () => rows.reportWeek(tenantId, { published_at: finished }),
  ],
  [
    "sync_runs_status_check",
    "sync_runs",
    "an unknown status",
    () => rows.syncRun(tenantId, { status: "queued", started_at: started, finished_at: finished }),
  ],
  [
    "sync_runs_finished_at_check",
    "sync_runs",
    "a running run with finished_at",
    () => rows.syncRun(tenantId, { started_at: started, finished_at: finished }),
  ],
  [
    "sync_runs_finished_at_check",
    "sync_runs",
    "a succeeded run without finished_at",
    () => rows.syncRun(tenantId, { status: "succeeded" }),
  ],
  [
    "sync_runs_finished_at_check",
    "sync_runs",
    "a run that finished before it started",
    () =>
      rows.syncRun(tenantId, { status: "succeeded", started_at: finished, finished_at: started }),
  ],
  [
    "sync_runs_error_check",
    "sync_runs",
    "a failed run without an error",
    () => rows.syncRun(tenantId, { status: "failed", started_at: started, finished_at: finished }),
  ],
  [
    "sync_runs_error_check",
    "sync_runs",
    "a succeeded run with an error",
    () =>
      rows.syncRun(tenantId, {
        status: "succeeded",
        started_at: started,
        finished_at: finished,
        error: "timeout",
      }),
  ],
  [
    "sync_runs_records_fetched_check",
    "sync_runs",
    "a negative records_fetched",
    () => rows.syncRun(tenantId, { records_fetched: -1 }),
  ],
  [
    "ct_raw_snapshots_endpoint_check",
    "ct_raw_snapshots",
    "an empty endpoint",
    () => rows.snapshot(tenantId, { endpoint: "" }),
  ],
];

describe("check constraints", () => {
  it.each(cases)("%s rejects a %s row with %s", async (constraint, table, _wrong, row) => {
    await expectRejected(database.client, table, row(), constraint);
  });

  it.each<[table: string, row: () => Row]>([
    [
      "users",
      () => rows.user({ status: "invited", invite_token: sha256, invite_expires_at: nextWeek }),
    ],
    ["tenants", () => rows.tenant({ slug: "acme-dental-2" })],
    ...membershipTables.map(([table, row]): [string, () => Row] => [
      table,
      () => row({ user_id: userId, tenant_id: null, role: "agency_admin" }),
    ]),
    [
      "report_weeks",
      () => rows.reportWeek(tenantId, { status: "published", published_at: finished }),
    ],
    [
      "sync_runs",
      () =>
        rows.syncRun(tenantId, {
          status: "failed",
          started_at: started,
          finished_at: finished,
          error: "HTTP 503 from /v1/calls",
          records_fetched: 12,
        }),
    ],
    ["ct_raw_snapshots", () => rows.snapshot(tenantId)],
  ])("a valid %s row of the kind the cases break is accepted", async (table, row) => {
    await expect(insert(database.client, table, row())).resolves.toHaveProperty("id");
  });

  it("every check constraint in the database has a case above", async () => {
    const checks = (await publicConstraints(database.client)).filter((c) => c.type === "c");
    const tested = new Set(cases.map(([constraint]) => constraint));
    expect(checks.map((c) => c.name).filter((name) => !tested.has(name))).toEqual([]);
  });
});
