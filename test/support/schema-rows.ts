import { createHash, randomUUID } from "node:crypto";
import postgres from "postgres";
import { expect } from "vitest";
import type { DbConnection } from "@/lib/db/client";

/**
 * Valid rows for each table (snake_case, as Postgres sees them), inserted with plain SQL so a
 * constraint test shows exactly what reaches the database. Override any column to break one rule.
 */

type Sql = DbConnection["client"];
export type Row = Record<string, unknown>;

const unique = () => randomUUID().slice(0, 8);
/** What the schema stores instead of a secret: its SHA-256 as 64 lower-case hex characters. */
const randomSha256 = () => createHash("sha256").update(randomUUID()).digest("hex");

export const rows = {
  user: (overrides: Row = {}): Row => ({
    name: "Test User",
    email: `user-${unique()}@example.com`,
    ...overrides,
  }),
  tenant: (overrides: Row = {}): Row => ({
    name: "Acme Dental",
    slug: `acme-dental-${unique()}`,
    ...overrides,
  }),
  membership: (overrides: Row & { user_id: string }): Row => ({ role: "member", ...overrides }),
  membershipGrant: (overrides: Row & { user_id: string }): Row => ({
    role: "member",
    token_hash: randomSha256(),
    expires_at: "2100-01-01T00:00:00Z",
    ...overrides,
  }),
  session: (userId: string, overrides: Row = {}): Row => ({
    user_id: userId,
    token: randomUUID(),
    expires_at: "2100-01-01T00:00:00Z",
    ...overrides,
  }),
  account: (userId: string, overrides: Row = {}): Row => ({
    user_id: userId,
    account_id: randomUUID(),
    provider_id: "credential",
    ...overrides,
  }),
  reportWeek: (tenantId: string, overrides: Row = {}): Row => ({
    tenant_id: tenantId,
    week_ending_date: "2026-11-22",
    ...overrides,
  }),
  syncRun: (tenantId: string, overrides: Row = {}): Row => ({ tenant_id: tenantId, ...overrides }),
  snapshot: (tenantId: string, overrides: Row = {}): Row => ({
    tenant_id: tenantId,
    endpoint: "/v1/calls",
    payload: '{"calls": []}',
    ...overrides,
  }),
  rateLimit: (overrides: Row = {}): Row => ({
    key: `127.0.0.1/sign-in/${unique()}`,
    count: 1,
    last_request: Date.now(),
    ...overrides,
  }),
  signInFailure: (overrides: Row = {}): Row => ({
    account_key: randomSha256(),
    failures: 1,
    ...overrides,
  }),
};

export async function insert(sql: Sql, table: string, row: Row): Promise<Row & { id: string }> {
  const [inserted] = await sql<(Row & { id: string })[]>`
    insert into ${sql(table)} ${sql(row as Record<string, postgres.SerializableParameter>)}
    returning *`;
  if (!inserted) throw new Error(`insert into ${table} returned no row`);
  return inserted;
}

export async function countRows(sql: Sql, table: string): Promise<number> {
  const [result] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`;
  return result?.n ?? 0;
}

/**
 * Inserts `row` into `table` and expects Postgres to reject it with `constraint`, named in the
 * error message, and to have written nothing.
 */
export async function expectRejected(
  sql: Sql,
  table: string,
  row: Row,
  constraint: string,
): Promise<void> {
  const before = await countRows(sql, table);
  const error = await insert(sql, table, row).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${constraint} to reject the row`).toBeInstanceOf(postgres.PostgresError);
  const { message, constraint_name } = error as postgres.PostgresError;
  expect(message).toContain(`"${constraint}"`);
  expect(constraint_name).toBe(constraint);
  expect(await countRows(sql, table)).toBe(before);
}

/** A fresh valid user, for rows that need one; returns its id. */
export async function insertUser(sql: Sql): Promise<string> {
  return (await insert(sql, "users", rows.user())).id;
}

/** A fresh valid tenant, for rows that need one; returns its id. */
export async function insertTenant(sql: Sql): Promise<string> {
  return (await insert(sql, "tenants", rows.tenant())).id;
}

/**
 * A grant offers exactly what a membership gives, so both tables carry the same columns, checks,
 * keys and uniqueness rule, and the schema tests run those cases over both.
 */
export const membershipTables = [
  ["memberships", rows.membership],
  ["membership_grants", rows.membershipGrant],
] as const;
