import { getTableColumns, getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import * as schema from "@/lib/db/schema";
import {
  column,
  indexesLedBy,
  publicColumns,
  publicConstraints,
  publicTables,
} from "../support/catalog";
import { migratedDatabaseForFile } from "../support/migrated-database";

// What the migrated database looks like to Postgres (pg_catalog), not what the names suggest.

const database = migratedDatabaseForFile();

describe("indexes", () => {
  // The product's required lookups; a unique constraint's index counts when it leads with the column.
  it.each([
    ["memberships", "user_id"],
    ["memberships", "tenant_id"],
    ["sessions", "user_id"],
    ["report_weeks", "tenant_id"],
    ["report_weeks", "week_ending_date"],
    ["sync_runs", "tenant_id"],
    ["ct_raw_snapshots", "tenant_id"],
    ["ct_raw_snapshots", "endpoint"],
    ["accounts", "user_id"],
    ["verifications", "identifier"],
  ])("%s(%s) has an index led by that column", async (table, leading) => {
    expect(await indexesLedBy(database.client, table, leading)).not.toEqual([]);
  });

  it("an index counts only for its first column: sync_runs(started_at) is second in its index", async () => {
    expect(await indexesLedBy(database.client, "sync_runs", "started_at")).toEqual([]);
  });

  it("every foreign key's first column leads an index, so joins and ON DELETE stay cheap", async () => {
    const foreignKeys = (await publicConstraints(database.client)).filter((c) => c.type === "f");
    const unindexed = [];
    for (const fk of foreignKeys) {
      const [first] = fk.columns;
      if (!first) throw new Error(`${fk.name} has no columns`);
      if ((await indexesLedBy(database.client, fk.table, first)).length === 0) {
        unindexed.push(`${fk.table}(${first}) for ${fk.name}`);
      }
    }
    expect(foreignKeys.length).toBeGreaterThan(0);
    expect(unindexed).toEqual([]);
  });
});

describe("keys and columns", () => {
  it("every table has a uuid primary key `id` defaulting to gen_random_uuid()", async () => {
    const tables = await publicTables(database.client);
    const primaryKeys = (await publicConstraints(database.client)).filter((c) => c.type === "p");
    const columns = await publicColumns(database.client);
    const actual = tables.map((table) => {
      const key = primaryKeys.find((c) => c.table === table);
      const id = columns.find((c) => c.table === table && c.name === "id");
      return { table, key: key?.columns, type: id?.type, default: id?.default };
    });
    expect(actual).toEqual(
      tables.map((table) => ({
        table,
        key: ["id"],
        type: "uuid",
        default: "gen_random_uuid()",
      })),
    );
  });

  it("users has status (not null, default 'active'), invite_token and invite_expires_at (timestamptz)", async () => {
    const sql = database.client;
    expect(await column(sql, "users", "status")).toMatchObject({
      type: "text",
      notNull: true,
      default: "'active'::text",
    });
    expect(await column(sql, "users", "invite_token")).toMatchObject({
      type: "text",
      notNull: false,
      default: null,
    });
    expect(await column(sql, "users", "invite_expires_at")).toMatchObject({
      type: "timestamp with time zone",
      notNull: false,
      default: null,
    });
  });

  it("memberships.tenant_id is nullable (null = an agency admin, who sees every tenant)", async () => {
    expect(await column(database.client, "memberships", "tenant_id")).toMatchObject({
      type: "uuid",
      notNull: false,
    });
  });
});

describe("timestamps", () => {
  it("no column is a timestamp without time zone, and every *_at column is timestamptz", async () => {
    const columns = await publicColumns(database.client);
    const wrong = columns
      .filter((c) => c.type.startsWith("timestamp") || c.name.endsWith("_at"))
      .filter((c) => c.type !== "timestamp with time zone")
      .map((c) => `${c.table}.${c.name}: ${c.type}`);
    expect(wrong).toEqual([]);
  });

  it("every table has created_at timestamptz not null default now()", async () => {
    const tables = await publicTables(database.client);
    const columns = await publicColumns(database.client);
    const createdAt = tables.map((table) => {
      const found = columns.find((c) => c.table === table && c.name === "created_at");
      return {
        table,
        createdAt: found && { type: found.type, notNull: found.notNull, default: found.default },
      };
    });
    const expected = { type: "timestamp with time zone", notNull: true, default: "now()" };
    expect(createdAt).toEqual(tables.map((table) => ({ table, createdAt: expected })));
  });

  it("every updated_at column is refreshed by drizzle on update ($onUpdate)", () => {
    const withoutOnUpdate = Object.values(schema)
      .filter((value) => is(value, PgTable))
      .flatMap((table) =>
        Object.values(getTableColumns(table))
          .filter((c) => c.name === "updated_at" && !c.onUpdateFn)
          .map((c) => `${getTableName(table)}.${c.name}`),
      );
    expect(withoutOnUpdate).toEqual([]);
  });
});
