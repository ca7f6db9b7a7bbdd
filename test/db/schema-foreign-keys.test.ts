import { randomUUID } from "node:crypto";
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

// Every foreign key: a row pointing nowhere is rejected, and deleting the parent does what the
// schema declares (see docs/schema.md for why each relation cascades or sets null).

const database = migratedDatabaseForFile();

const newUser = () => insertUser(database.client);
const newTenant = () => insertTenant(database.client);
const newSyncRun = async (tenantId: string) =>
  (await insert(database.client, "sync_runs", rows.syncRun(tenantId))).id;
const nowhere = () => randomUUID();

const dangling: [fk: string, table: string, row: () => Promise<Row>][] = [
  ["sessions_user_id_fk", "sessions", async () => rows.session(nowhere())],
  ["accounts_user_id_fk", "accounts", async () => rows.account(nowhere())],
  ...membershipTables.flatMap(([table, row]): [string, string, () => Promise<Row>][] => [
    [
      `${table}_user_id_fk`,
      table,
      async () => row({ user_id: nowhere(), tenant_id: await newTenant() }),
    ],
    [
      `${table}_tenant_id_fk`,
      table,
      async () => row({ user_id: await newUser(), tenant_id: nowhere() }),
    ],
    [
      `${table}_invited_by_user_id_fk`,
      table,
      async () =>
        row({
          user_id: await newUser(),
          tenant_id: await newTenant(),
          invited_by_user_id: nowhere(),
        }),
    ],
  ]),
  ["report_weeks_tenant_id_fk", "report_weeks", async () => rows.reportWeek(nowhere())],
  ["sync_runs_tenant_id_fk", "sync_runs", async () => rows.syncRun(nowhere())],
  ["ct_raw_snapshots_tenant_id_fk", "ct_raw_snapshots", async () => rows.snapshot(nowhere())],
  [
    "ct_raw_snapshots_sync_run_id_tenant_id_fk",
    "ct_raw_snapshots",
    async () => rows.snapshot(await newTenant(), { sync_run_id: nowhere() }),
  ],
];

interface OnDeleteCase {
  fk: string;
  onDelete: "cascade" | "set null";
  /** Makes a parent and a child row; deleting the parent is what is tested. */
  setup: () => Promise<{ parent: [table: string, id: string]; child: [table: string, id: string] }>;
  /** For "set null": the child column that must become null. */
  column?: string;
}

async function child(table: string, row: Row): Promise<[string, string]> {
  return [table, (await insert(database.client, table, row)).id];
}

const onDeleteCases: OnDeleteCase[] = [
  {
    fk: "sessions_user_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const userId = await newUser();
      return { parent: ["users", userId], child: await child("sessions", rows.session(userId)) };
    },
  },
  {
    fk: "accounts_user_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const userId = await newUser();
      return { parent: ["users", userId], child: await child("accounts", rows.account(userId)) };
    },
  },
  ...membershipTables.flatMap(([table, row]): OnDeleteCase[] => [
    {
      fk: `${table}_user_id_fk`,
      onDelete: "cascade",
      setup: async () => {
        const userId = await newUser();
        const member = row({ user_id: userId, tenant_id: await newTenant() });
        return { parent: ["users", userId], child: await child(table, member) };
      },
    },
    {
      fk: `${table}_tenant_id_fk`,
      onDelete: "cascade",
      setup: async () => {
        const tenantId = await newTenant();
        const member = row({ user_id: await newUser(), tenant_id: tenantId });
        return { parent: ["tenants", tenantId], child: await child(table, member) };
      },
    },
    {
      fk: `${table}_invited_by_user_id_fk`,
      onDelete: "set null",
      column: "invited_by_user_id",
      setup: async () => {
        const inviterId = await newUser();
        const member = row({
          user_id: await newUser(),
          tenant_id: await newTenant(),
          invited_by_user_id: inviterId,
        });
        return { parent: ["users", inviterId], child: await child(table, member) };
      },
    },
  ]),
  {
    fk: "report_weeks_tenant_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const tenantId = await newTenant();
      return {
        parent: ["tenants", tenantId],
        child: await child("report_weeks", rows.reportWeek(tenantId)),
      };
    },
  },
  {
    fk: "sync_runs_tenant_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const tenantId = await newTenant();
      return {
        parent: ["tenants", tenantId],
        child: await child("sync_runs", rows.syncRun(tenantId)),
      };
    },
  },
  {
    fk: "ct_raw_snapshots_tenant_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const tenantId = await newTenant();
      return {
        parent: ["tenants", tenantId],
        child: await child("ct_raw_snapshots", rows.snapshot(tenantId)),
      };
    },
  },
  {
    fk: "ct_raw_snapshots_sync_run_id_tenant_id_fk",
    onDelete: "cascade",
    setup: async () => {
      const tenantId = await newTenant();
      const runId = await newSyncRun(tenantId);
      const row = rows.snapshot(tenantId, { sync_run_id: runId });
      return { parent: ["sync_runs", runId], child: await child("ct_raw_snapshots", row) };
    },
  },
];

async function findRow(table: string, id: string): Promise<Row | undefined> {
  const sql = database.client;
  const [row] = await sql<Row[]>`select * from ${sql(table)} where id = ${id}`;
  return row;
}

describe("foreign keys", () => {
  it.each(dangling)("%s rejects a %s row pointing at no row", async (fk, table, row) => {
    await expectRejected(database.client, table, await row(), fk);
  });

  it("a snapshot cannot point at another tenant's sync run", async () => {
    const runOfOtherTenant = await newSyncRun(await newTenant());
    const row = rows.snapshot(await newTenant(), { sync_run_id: runOfOtherTenant });

    await expectRejected(
      database.client,
      "ct_raw_snapshots",
      row,
      "ct_raw_snapshots_sync_run_id_tenant_id_fk",
    );
  });

  it.each(onDeleteCases)("$fk: deleting the parent row does ON DELETE $onDelete", async (c) => {
    const sql = database.client;
    const { parent, child } = await c.setup();

    await sql`delete from ${sql(parent[0])} where id = ${parent[1]}`;

    const remaining = await findRow(...child);
    if (c.onDelete === "cascade") expect(remaining).toBeUndefined();
    else expect(remaining).toMatchObject({ [c.column ?? ""]: null });
  });

  it("every foreign key in the database is tested above, with the ON DELETE it declares", async () => {
    const codes: Record<string, OnDeleteCase["onDelete"] | "other"> = {
      c: "cascade",
      n: "set null",
    };
    const declared = (await publicConstraints(database.client))
      .filter((c) => c.type === "f")
      .map((c) => ({ fk: c.name, onDelete: codes[c.onDelete ?? ""] ?? "other" }));
    const tested = onDeleteCases.map(({ fk, onDelete }) => ({ fk, onDelete }));
    const byName = (a: { fk: string }, b: { fk: string }) => a.fk.localeCompare(b.fk);
    expect(declared.sort(byName)).toEqual(tested.sort(byName));
    expect(dangling.map(([fk]) => fk).sort()).toEqual(tested.map(({ fk }) => fk));
  });
});
