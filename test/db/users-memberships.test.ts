import { describe, expect, it } from "vitest";
import { memberships, tenants, users } from "@/lib/db/schema";
import { listMemberships } from "@/lib/tenancy/users";
import { migratedDatabaseForFile } from "../support/migrated-database";

const database = migratedDatabaseForFile();

describe("listMemberships (what the dashboard shows)", () => {
  it("lists the user's roles with tenant names, the agency-wide one first, and no one else's", async () => {
    const { db } = database;
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
