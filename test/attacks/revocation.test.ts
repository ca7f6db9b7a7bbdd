import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberships, users } from "@/lib/db/schema";
import { formSuccess, signedUpAccount } from "../support/attack-accounts";
import { attackServerForFile } from "../support/attack-server";
import { cookieOf, type HttpAnswer, readForm, submitForm } from "../support/http-client";
import { createTenantRow, uniqueEmail } from "../support/tenancy";

// Issue 26, finding 6: nothing revoked a pending invitation. A link sent to the wrong address,
// or handed out by an admin who was then suspended, stayed usable until it expired (up to 90
// days). Here an agency admin invites through the client page's form over HTTP; whoever holds
// the link has its accept form open; then the invitation is revoked (through /admin's form, or
// by suspending the admin who sent it) and the held form is posted.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

async function agencyAdmin(label: string) {
  return signedUpAccount(app, label, [{ tenantId: null, role: "agency_admin" }]);
}

/** Invites a new address through the client page's form; the link and the form it opens. */
async function inviteAndOpen(admin: { cookie: string }) {
  const tenant = await createTenantRow(app.db, "Client");
  const email = uniqueEmail("invitee");
  const answer = await submitForm(app.url, `/tenants/${tenant.id}`, {
    cookie: admin.cookie,
    fieldId: "invite-email",
    fields: { tenantId: tenant.id, email, role: "member" },
  });
  const { link } = formSuccess(answer);
  if (!link) throw new Error("the form showed no link to copy");
  const path = new URL(link).pathname;
  const held = await readForm(app.url, path, { fieldId: "password" });
  const [membership] = await app.db
    .select({ id: memberships.id })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(users.email, email));
  return { email, path, held, membershipId: membership?.id ?? "" };
}

function expectRefusedAcceptance(answer: HttpAnswer) {
  // Accepting would redirect to the dashboard with a session cookie.
  expect(answer.status).toBe(200);
  expect(cookieOf(answer)).not.toMatch(/session_token/);
  expect(answer.body).toMatch(/role="alert"[^>]*>[^<]*not valid/);
}

const accept = { name: "Whoever holds the link", password: "a password of their choice" };

describe("a pending invitation", () => {
  it("no longer works once an agency admin revoked it on /admin", async () => {
    const admin = await agencyAdmin("revoker");
    const invitation = await inviteAndOpen(admin);

    const revoked = await submitForm(app.url, "/admin", {
      cookie: admin.cookie,
      fieldId: `revoke-${invitation.membershipId}`,
      fields: {},
    });
    // The page rendered again no longer lists it (its row, with the form, is gone).
    expect(revoked.status).toBe(200);
    expect(revoked.body).not.toContain(`revoke-${invitation.membershipId}`);

    expectRefusedAcceptance(await invitation.held.post(accept));
    expect(await app.db.select().from(users).where(eq(users.email, invitation.email))).toEqual([]);
  });

  it("no longer works once the admin who sent it is suspended", async () => {
    const sender = await agencyAdmin("sender");
    const other = await agencyAdmin("other");
    const invitation = await inviteAndOpen(sender);

    const suspended = await submitForm(app.url, "/admin", {
      cookie: other.cookie,
      fieldId: `status-${sender.id}`,
      fields: {},
    });
    expect(formSuccess(suspended).message).toMatch(/^Suspended/);

    expectRefusedAcceptance(await invitation.held.post(accept));
  });
});
