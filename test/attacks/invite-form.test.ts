import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type MembershipRole, membershipGrants, memberships, users } from "@/lib/db/schema";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp, submitForm, unescapeHtml } from "../support/http-client";
import { createTenantRow, createUserRow, uniqueEmail } from "../support/tenancy";

// Finding 3: a client admin could add a member of another client to their own client without
// that person's consent, and the invite form told which addresses had accounts, which were
// agency admins and which were suspended. The client admin is a signed-up account with a session
// cookie; the invitation is the client page's invite form, posted over HTTP as a browser without
// JavaScript (or curl) posts it, and the answer is the page Next renders again with the form's
// message. What the invitee can then open is asked of the same server.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

let nextAddress = 10;

/**
 * A signed-up account, its session cookie, and these memberships. Each signs up from a loopback
 * address of its own: sign-up allows 3 requests per 10 s from one address.
 */
async function account(label: string, roles: { tenantId: string; role: MembershipRole }[]) {
  const email = uniqueEmail(label);
  const { answer, cookie } = await signUp(app.url, email, label, {
    from: `127.0.0.${nextAddress++}`,
  });
  expect(answer.status).toBe(200);
  const [user] = await app.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (!user) throw new Error(`no users row for ${email}`);
  for (const membership of roles) {
    await app.db.insert(memberships).values({ userId: user.id, ...membership });
  }
  return { id: user.id, email, cookie };
}

/** Invites `email` as a member through the client page's invite form; what the form then says. */
async function inviteThroughForm(admin: { cookie: string }, tenantId: string, email: string) {
  const answer = await submitForm(app.url, `/tenants/${tenantId}`, {
    cookie: admin.cookie,
    fieldId: "invite-email",
    fields: { tenantId, email, role: "member" },
  });
  expect(answer.status).toBe(200);
  // The form shows a success as role="status": the message, then the link to copy if any.
  const status = /role="status">([\s\S]*?)<\/div>/.exec(answer.body)?.[1];
  if (status === undefined) {
    const alert = /role="alert"[^>]*>([^<]*)/.exec(answer.body)?.[1];
    throw new Error(`the form shows no success after inviting ${email}: ${alert ?? "no message"}`);
  }
  const message = unescapeHtml(/<p>([^<]*)<\/p>/.exec(status)?.[1] ?? "");
  expect(message).toContain(email);
  const link = /value="([^"]*)"/.exec(status)?.[1];
  return { message, link: link && unescapeHtml(link) };
}

describe("a client admin inviting through the form", () => {
  it("cannot put another client's member into their client: the member must accept", async () => {
    const [clientA, clientB] = [
      await createTenantRow(app.db, "Client A"),
      await createTenantRow(app.db, "Client B"),
    ];
    const adminOfA = await account("admin-of-a", [{ tenantId: clientA.id, role: "tenant_admin" }]);
    const member = await account("member-of-b", [{ tenantId: clientB.id, role: "member" }]);

    const { message } = await inviteThroughForm(adminOfA, clientA.id, member.email);
    expect(message).toContain(clientA.name);

    expect(
      (await request(app.url, `/tenants/${clientA.id}`, { cookie: member.cookie })).status,
    ).toBe(404);
    expect(
      (await request(app.url, `/tenants/${clientB.id}`, { cookie: member.cookie })).status,
    ).toBe(200);
    // What the form recorded: a grant waiting for the member to accept.
    const grants = await app.db
      .select({ role: membershipGrants.role })
      .from(membershipGrants)
      .where(
        and(eq(membershipGrants.userId, member.id), eq(membershipGrants.tenantId, clientA.id)),
      );
    expect(grants).toEqual([{ role: "member" }]);
  });

  it("learns nothing about who has an account, is an agency admin or is suspended", async () => {
    const client = await createTenantRow(app.db, "Client C");
    const admin = await account("admin-of-c", [{ tenantId: client.id, role: "tenant_admin" }]);
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
