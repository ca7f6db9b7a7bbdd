import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberships, users } from "@/lib/db/schema";
import { inviteToTenant } from "@/lib/invitations/invite";
import { deliverAndDescribe } from "@/lib/invitations/messages";
import { loadActor } from "@/lib/tenancy/access";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp } from "../support/http-client";
import { createTenantRow, createUserRow, uniqueEmail } from "../support/tenancy";

// Finding 3: a client admin could add a member of another client to their own client without
// that person's consent, and the invite form told which addresses had accounts, which were
// agency admins and which were suspended. The invitation runs through the same server function
// the form's action calls (`inviteToTenant`, then `deliverAndDescribe` for the form's message);
// what the invitee can then open is asked of the production server.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

describe("a client admin inviting", () => {
  it("cannot put another client's member into their client: the member must accept", async () => {
    const [clientA, clientB] = [
      await createTenantRow(app.db, "Client A"),
      await createTenantRow(app.db, "Client B"),
    ];
    const adminOfA = await createUserRow(app.db, {
      memberships: [{ tenantId: clientA.id, role: "tenant_admin" }],
    });
    const memberEmail = uniqueEmail("member-of-b");
    const { cookie } = await signUp(app.url, memberEmail);
    const [member] = await app.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, memberEmail));
    if (!member) throw new Error("the member's account is missing");
    await app.db
      .insert(memberships)
      .values({ userId: member.id, tenantId: clientB.id, role: "member" });

    const actor = await loadActor(adminOfA.id, app.db);
    if (!actor) throw new Error("the admin is not an actor");
    await inviteToTenant(
      actor,
      { tenantId: clientA.id, email: memberEmail, role: "member" },
      { db: app.db, baseUrl: app.url, ttlDays: 7 },
    );

    expect((await request(app.url, `/tenants/${clientA.id}`, { cookie })).status).toBe(404);
    expect((await request(app.url, `/tenants/${clientB.id}`, { cookie })).status).toBe(200);
  });

  it("learns nothing about who has an account, is an agency admin or is suspended", async () => {
    const client = await createTenantRow(app.db, "Client C");
    const admin = await createUserRow(app.db, {
      memberships: [{ tenantId: client.id, role: "tenant_admin" }],
    });
    const actor = await loadActor(admin.id, app.db);
    if (!actor) throw new Error("the admin is not an actor");
    const addresses = [
      uniqueEmail("nobody"),
      (await createUserRow(app.db)).email,
      (await createUserRow(app.db, { status: "suspended" })).email,
      (await createUserRow(app.db, { memberships: [{ tenantId: null, role: "agency_admin" }] }))
        .email,
    ];
    const answers = new Set<string>();
    for (const email of addresses) {
      const result = await inviteToTenant(
        actor,
        { tenantId: client.id, email, role: "member" },
        { db: app.db, baseUrl: app.url, ttlDays: 7 },
      );
      const { message, link } = await deliverAndDescribe(result);
      answers.add(`${message.replace(email, "<email>")} ${link?.replace(/[^/]+$/, "<token>")}`);
    }
    expect([...answers]).toHaveLength(1);
  });
});
