import { describe, expect, it } from "vitest";
import { formSuccess, grantsOf, signedUpAccount } from "../support/attack-accounts";
import { attackServerForFile } from "../support/attack-server";
import { request, submitForm } from "../support/http-client";
import { createTenantRow, createUserRow, uniqueEmail } from "../support/tenancy";

// Finding 3: a client admin could add a member of another client to their own client without
// that person's consent, and the invite form told which addresses had accounts, which were
// agency admins and which were suspended. The client admin is a signed-up account with a session
// cookie; the invitation is the client page's invite form, posted over HTTP as a browser without
// JavaScript (or curl) posts it, and the answer is the page Next renders again with the form's
// message. What the invitee can then open is asked of the same server.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

/** Invites `email` as a member through the client page's invite form; what the form then says. */
async function inviteThroughForm(admin: { cookie: string }, tenantId: string, email: string) {
  const answer = await submitForm(app.url, `/tenants/${tenantId}`, {
    cookie: admin.cookie,
    fieldId: "invite-email",
    fields: { tenantId, email, role: "member" },
  });
  const success = formSuccess(answer);
  expect(success.message).toContain(email);
  return success;
}

describe("a client admin inviting through the form", () => {
  it("cannot put another client's member into their client: the member must accept", async () => {
    const [clientA, clientB] = [
      await createTenantRow(app.db, "Client A"),
      await createTenantRow(app.db, "Client B"),
    ];
    const adminOfA = await signedUpAccount(app, "admin-of-a", [
      { tenantId: clientA.id, role: "tenant_admin" },
    ]);
    const member = await signedUpAccount(app, "member-of-b", [
      { tenantId: clientB.id, role: "member" },
    ]);

    const { message } = await inviteThroughForm(adminOfA, clientA.id, member.email);
    expect(message).toContain(clientA.name);

    expect(
      (await request(app.url, `/tenants/${clientA.id}`, { cookie: member.cookie })).status,
    ).toBe(404);
    expect(
      (await request(app.url, `/tenants/${clientB.id}`, { cookie: member.cookie })).status,
    ).toBe(200);
    // What the form recorded: a grant waiting for the member to accept.
    expect(await grantsOf(app, member.id, clientA.id)).toEqual([{ role: "member" }]);
  });

  it("learns nothing about who has an account, is an agency admin or is suspended", async () => {
    const client = await createTenantRow(app.db, "Client C");
    const admin = await signedUpAccount(app, "admin-of-c", [
      { tenantId: client.id, role: "tenant_admin" },
    ]);
    const addresses = [
      uniqueEmail("nobody"),
      (await createUserRow(app.db)).email,
      (await createUserRow(app.db, { status: "suspended" })).email,
      (await createUserRow(app.db, { memberships: [{ tenantId: null, role: "agency_admin" }] }))
        .email,
    ];
    const answers: string[] = [];
    const expiries: number[] = [];
    for (const email of addresses) {
      const { message, link } = await inviteThroughForm(admin, client.id, email);
      // The expiry is to the minute: two invitations a second apart may name different minutes.
      const normalised = message
        .replace(email, "<email>")
        .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, (until) => {
          expiries.push(Date.parse(until.replace(" UTC", "Z").replace(" ", "T")));
          return "<until>";
        });
      answers.push(`${normalised} ${link?.replace(/[^/]+$/, "<token>")}`);
    }
    expect(answers).toEqual(answers.map(() => answers[0]));
    expect(expiries).toHaveLength(addresses.length);
    expect(Math.max(...expiries) - Math.min(...expiries)).toBeLessThanOrEqual(60_000);
  });
});
