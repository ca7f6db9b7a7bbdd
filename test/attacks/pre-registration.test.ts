import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "@/lib/db/schema";
import { inviteToTenant } from "@/lib/invitations/invite";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp } from "../support/http-client";
import { startScript } from "../support/processes";
import { createActor, createTenantRow, uniqueEmail } from "../support/tenancy";

// Finding 1 (HIGH): an attacker registers an address before its owner is invited, and the
// invitation (or `admin:create`) handed the attacker's account the access.

describe("with sign-up open, an attacker who registers an address first", () => {
  const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

  it("gains nothing when an admin later invites that address to a client", async () => {
    const carol = uniqueEmail("carol");
    const attacker = await signUp(app.url, carol);
    expect(attacker.answer.status).toBe(200);

    const tenantB = await createTenantRow(app.db, "Client B");
    const admin = await createActor(app.db, [{ tenantId: null, role: "agency_admin" }]);
    const invited = await inviteToTenant(
      admin,
      { tenantId: tenantB.id, email: carol, role: "tenant_admin" },
      { db: app.db, baseUrl: app.url, ttlDays: 7 },
    );

    const page = await request(app.url, `/tenants/${tenantB.id}`, { cookie: attacker.cookie });
    expect(page.status).toBe(404);
    const dashboard = await request(app.url, "/dashboard", { cookie: attacker.cookie });
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).not.toContain(tenantB.name);
    // The link went to Carol's mailbox; the attacker guessing at it gets nothing either.
    expect(invited.link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  });

  it("does not become agency admin when the operator runs admin:create for that address", async () => {
    const ada = uniqueEmail("ada");
    const attacker = await signUp(app.url, ada);
    expect(attacker.answer.status).toBe(200);

    const run = await startScript(
      path.join("scripts", "admin-create.ts"),
      ["--email", ada, "--name", "Ada"],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          DATABASE_URL: app.databaseUrl,
          BETTER_AUTH_URL: app.url,
        },
      },
    ).exited;
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/already has an account/);
    expect(run.output).toMatch(/\/invite\/[A-Za-z0-9_-]{43}/);

    expect((await request(app.url, "/admin", { cookie: attacker.cookie })).status).toBe(404);
  });
});

describe("with the production default", () => {
  const app = attackServerForFile();

  it("nobody can register an address: sign-up is refused and writes no row", async () => {
    const email = uniqueEmail("squatter");
    const { answer } = await signUp(app.url, email);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "SIGN_UP_CLOSED" });
    expect(await app.db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});
