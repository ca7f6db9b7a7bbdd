import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { memberships, tenants, users } from "@/lib/db/schema";
import { listMemberships } from "@/lib/users";
import { createTestDatabase, type TestDatabase } from "../support/database";

let database: TestDatabase;
let connection: DbConnection;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true });
  connection = createDbConnection({ url: database.url, max: 2 });
});

afterAll(async () => {
  await connection?.close();
  await database?.drop();
});

describe("listMemberships (what the dashboard shows)", () => {
  it("lists the user's roles with tenant names, the agency-wide one first, and no one else's", async () => {
    const { db } = connection;
    const [alice, bob] = await db
      .insert(users)
      .values([
        { name: "Alice", email: "alice@example.com" },
        { name: "Bob", email: "bob@example.com" },
      ])
      .returning({ id: users.id });
    const [zeta, acme] = await db
      .insert(tenants)
      .values([
        { name: "Zeta Dental", slug: "zeta-dental" },
        { name: "Acme Clinic", slug: "acme-clinic" },
      ])
      .returning({ id: tenants.id });
    if (!alice || !bob || !zeta || !acme) throw new Error("fixture rows were not created");
    await db.insert(memberships).values([
      { userId: alice.id, tenantId: zeta.id, role: "member" },
      { userId: alice.id, tenantId: acme.id, role: "tenant_admin" },
      { userId: alice.id, tenantId: null, role: "agency_admin" },
      { userId: bob.id, tenantId: acme.id, role: "member" },
    ]);

    expect(await listMemberships(alice.id, db)).toEqual([
      { role: "agency_admin", tenantName: null },
      { role: "tenant_admin", tenantName: "Acme Clinic" },
      { role: "member", tenantName: "Zeta Dental" },
    ]);
    expect(await listMemberships(bob.id, db)).toEqual([
      { role: "member", tenantName: "Acme Clinic" },
    ]);
  });
});
