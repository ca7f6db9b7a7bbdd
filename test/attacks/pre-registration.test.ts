import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "@/lib/db/schema";
import { formSuccess, grantsOf, signedUpAccount } from "../support/attack-accounts";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp, submitForm } from "../support/http-client";
import { startScript } from "../support/processes";
import { createTenantRow, uniqueEmail } from "../support/tenancy";

// Finding 1 (HIGH): an attacker registers an address before its owner is invited, and the
// invitation (or `admin:create`) handed the attacker's account the access. The attacker and the
// agency admin are signed-up accounts with session cookies; the admin invites through the client
// page's invite form, posted over HTTP as a browser without JavaScript posts it; `admin:create`
// is the script the operator runs. What the attacker's session can then open is asked of the same
// production server.

describe("with sign-up open, an attacker who registers an address first", () => {
  const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

  it("gains nothing when an admin later invites that address to a client", async () => {
    // The attacker registers Carol's address before anyone invites her.
    const attacker = await signedUpAccount(app, "carol");
    const carol = attacker.email;

    const tenantB = await createTenantRow(app.db, "Client B");
    const admin = await signedUpAccount(app, "agency-admin", [
      { tenantId: null, role: "agency_admin" },
    ]);
    const invited = formSuccess(
      await submitForm(app.url, `/tenants/${tenantB.id}`, {
        cookie: admin.cookie,
        fieldId: "invite-email",
        fields: { tenantId: tenantB.id, email: carol, role: "tenant_admin" },
      }),
    );
    expect(invited.message).toContain(carol);
    // What the form recorded: a grant waiting for the account's owner to accept.
    expect(await grantsOf(app, attacker.id, tenantB.id)).toEqual([{ role: "tenant_admin" }]);

    const page = await request(app.url, `/tenants/${tenantB.id}`, { cookie: attacker.cookie });
    expect(page.status).toBe(404);
    const dashboard = await request(app.url, "/dashboard", { cookie: attacker.cookie });
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).not.toContain(tenantB.name);
    // The link went to Carol's mailbox; the attacker guessing at it gets nothing either.
    expect(invited.link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  });

  it("does not become agency admin when the operator runs admin:create for that address", async () => {
    // The attacker registers Ada's address before the operator makes her an agency admin.
    const attacker = await signedUpAccount(app, "ada");
    const ada = attacker.email;

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
    // What the script recorded: a grant waiting for the account's owner to accept.
    expect(await grantsOf(app, attacker.id, null)).toEqual([{ role: "agency_admin" }]);

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
