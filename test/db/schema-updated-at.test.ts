import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tenants } from "@/lib/db/schema";
import { migratedDatabaseForFile } from "../support/migrated-database";

// updated_at is kept by drizzle's `$onUpdate` (src/lib/db/schema/columns.ts), not by a trigger:
// updates through drizzle refresh it, raw SQL does not.

const database = migratedDatabaseForFile();

const longAgo = new Date("2020-01-01T00:00:00Z");

async function tenantLastUpdatedLongAgo() {
  const [tenant] = await database.db
    .insert(tenants)
    .values({
      name: "Acme Dental",
      slug: `acme-${crypto.randomUUID().slice(0, 8)}`,
      updatedAt: longAgo,
    })
    .returning();
  if (!tenant) throw new Error("insert returned no tenant");
  return tenant;
}

describe("updated_at", () => {
  it("an update through drizzle sets updated_at to now, leaving created_at alone", async () => {
    const tenant = await tenantLastUpdatedLongAgo();

    const [updated] = await database.db
      .update(tenants)
      .set({ name: "Acme Dental & Implants" })
      .where(eq(tenants.id, tenant.id))
      .returning();

    expect(updated?.updatedAt.getTime()).toBeGreaterThan(longAgo.getTime());
    expect(updated?.createdAt).toEqual(tenant.createdAt);
  });

  it("an update in raw SQL leaves updated_at as it was", async () => {
    const sql = database.client;
    const tenant = await tenantLastUpdatedLongAgo();

    await sql`update tenants set name = 'Renamed in SQL' where id = ${tenant.id}`;

    const [row] = await database.db.select().from(tenants).where(eq(tenants.id, tenant.id));
    expect(row?.updatedAt).toEqual(longAgo);
  });
});
