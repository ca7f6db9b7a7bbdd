import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Database } from "@/lib/db/client";
import { memberships, tenants, users } from "@/lib/db/schema";
import { issueInvitation } from "@/lib/invitations/invite";
import { expectDashboardFor, signUpThroughPage } from "./support/fixtures";
import { acceptThroughPage, expect, inviteThroughClientPage, test } from "./support/invitations";

// Against a deployed server without E2E_DATABASE_URL there is no way to bootstrap the admin.
test.skip(({ databaseUrl }) => !databaseUrl, "needs the server's database: set E2E_DATABASE_URL");

const NOT_FOUND = "No client with this id exists, or you do not have access to it.";

async function tenantId(db: Database, name: string): Promise<string> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, name));
  if (!row) throw new Error(`no tenant named ${name}`);
  return row.id;
}

test("an admin invites; the invitee accepts in a fresh browser and sees only that client", async ({
  adminPage: admin,
  page,
  db,
  user,
}) => {
  const alpha = `Alpha ${user.email}`;
  const bravo = `Bravo ${user.email}`;

  // The agency admin creates two clients ...
  await admin.goto("/admin");
  for (const name of [alpha, bravo]) {
    await admin.getByLabel("Name", { exact: true }).fill(name);
    await admin.getByRole("button", { name: "Create client" }).click();
    await expect(admin.getByRole("status")).toContainText(`Created ${name}`);
  }
  // ... and invites the user to the first, as a Member.
  await admin.getByRole("link", { name: alpha }).click();
  await expect(admin.getByRole("heading", { name: alpha })).toBeVisible();
  const link = await inviteThroughClientPage(admin, user.email, "Member");
  // Production without a sender: the page hands the link over to copy.
  await expect(admin.getByRole("status")).toContainText("No invitation sender is configured");
  await expect(admin.getByRole("row", { name: new RegExp(user.email) })).toContainText("invited");

  // Only the token's SHA-256 is in the database.
  const token = link.split("/invite/")[1] ?? "";
  const [invited] = await db.select().from(users).where(eq(users.email, user.email));
  expect(invited?.status).toBe("invited");
  expect(invited?.inviteToken).toBe(createHash("sha256").update(token).digest("hex"));

  // The invitee, in a browser context that shares nothing with the admin's.
  await page.goto(link);
  // Who invited whom to which client; opening the page uses nothing up.
  await expect(page.getByRole("listitem")).toContainText(
    `invited ${user.email} to ${alpha} as Member.`,
  );
  await acceptThroughPage(page, link, user);
  await expect(page.getByTestId("client-list").getByRole("listitem")).toHaveText([alpha]);
  await expect(page.getByText(bravo)).toHaveCount(0);

  const [accepted] = await db.select().from(users).where(eq(users.email, user.email));
  expect(accepted).toMatchObject({ status: "active", inviteToken: null, inviteExpiresAt: null });

  // The link worked once.
  await page.goto(link);
  await expect(
    page.getByRole("alert").filter({ hasText: "This invitation link is not valid" }),
  ).toBeVisible();

  // Bravo's UUID in hand, the page is a 404 like any unknown id; the admin page too.
  const bravoId = await tenantId(db, bravo);
  for (const path of [`/tenants/${bravoId}`, "/admin"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByText(bravo)).toHaveCount(0);
  }
  const alphaPage = await page.goto(`/tenants/${await tenantId(db, alpha)}`);
  expect(alphaPage?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: alpha })).toBeVisible();
});

test("a client admin who edits the form to target another client is refused; nothing is written", async ({
  adminPage: admin,
  page,
  db,
  user,
}) => {
  const alpha = `Alpha ${user.email}`;
  const bravo = `Bravo ${user.email}`;
  await db.insert(tenants).values([
    { name: alpha, slug: `alpha-${Date.now().toString(36)}` },
    { name: bravo, slug: `bravo-${Date.now().toString(36)}` },
  ]);
  const [alphaId, bravoId] = [await tenantId(db, alpha), await tenantId(db, bravo)];

  // The agency admin makes the user a Client admin of Alpha.
  await admin.goto(`/tenants/${alphaId}`);
  const link = await inviteThroughClientPage(admin, user.email, "Client admin");
  await acceptThroughPage(page, link, user);

  // On Alpha's page, the client admin points the invite form at Bravo and submits.
  await page.goto(`/tenants/${alphaId}`);
  await page.locator('input[name="tenantId"]').evaluate((input, id) => {
    (input as HTMLInputElement).value = id;
  }, bravoId);
  const intruder = `intruder-${user.email}`;
  const bravoBefore = await db.select().from(memberships).where(eq(memberships.tenantId, bravoId));
  await page.getByLabel("Email").fill(intruder);
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("alert").filter({ hasText: NOT_FOUND })).toBeVisible();

  expect(await db.select().from(users).where(eq(users.email, intruder))).toEqual([]);
  expect(await db.select().from(memberships).where(eq(memberships.tenantId, bravoId))).toEqual(
    bravoBefore,
  );
});

test("suspending a user from the admin page ends their open session; reactivating restores them", async ({
  adminPage: admin,
  page,
  baseURL,
  db,
  user,
}) => {
  const invitation = await issueInvitation(
    { email: user.email, tenant: null, role: "agency_admin", invitedBy: null },
    { db, baseUrl: baseURL ?? "", ttlDays: 7 },
  );
  await acceptThroughPage(page, invitation.link ?? "", user);

  await admin.goto("/admin");
  const row = admin.getByRole("row", { name: new RegExp(user.email) });
  await row.getByRole("button", { name: `Suspend ${user.email}` }).click();
  await expect(row.getByRole("status")).toHaveText(
    "Suspended and signed out everywhere; the invitations they sent that were pending are revoked.",
  );
  await expect(row.getByRole("cell", { name: "suspended", exact: true })).toBeVisible();

  // The suspended user's open page loses its session on the next request.
  await page.reload();
  await expect(page).toHaveURL(/\/sign-in$/);

  await row.getByRole("button", { name: `Reactivate ${user.email}` }).click();
  await expect(row.getByRole("status")).toHaveText("Reactivated (active).");
  const [after] = await db.select().from(users).where(eq(users.email, user.email));
  expect(after?.status).toBe("active");
});

test("an existing account gains a client only by accepting the link while signed in as itself", async ({
  adminPage: admin,
  page,
  user,
}) => {
  const charlie = `Charlie ${user.email}`;
  // The user already has an account (self sign-up is on for this run).
  await signUpThroughPage(page, user);
  await expectDashboardFor(page, user);

  await admin.goto("/admin");
  await admin.getByLabel("Name", { exact: true }).fill(charlie);
  await admin.getByRole("button", { name: "Create client" }).click();
  await admin.getByRole("link", { name: charlie }).click();
  const link = await inviteThroughClientPage(admin, user.email, "Member");
  // The admin reads what they would for a new address; the list shows a pending invitation.
  await expect(admin.getByRole("status")).toContainText(`Invited ${user.email} to ${charlie}`);
  await expect(admin.getByRole("row", { name: new RegExp(user.email) })).toContainText("invited");

  // Nothing yet: the invitation alone grants no access.
  await page.goto("/dashboard");
  await expect(page.getByText(charlie)).toHaveCount(0);

  // Signed in as that account, the link offers Accept, and accepting grants the client.
  await page.goto(link);
  await expect(page.getByText(`invited ${user.email} to ${charlie} as Member`)).toBeVisible();
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("status")).toContainText(`You now have access to ${charlie}`);
  await page.goto("/dashboard");
  await expect(page.getByTestId("client-list").getByRole("listitem")).toContainText([charlie]);

  // Signed out, the (used) link gives nothing to whoever holds it.
  await page.context().clearCookies();
  await page.goto(link);
  await expect(
    page.getByRole("alert").filter({ hasText: "This invitation link is not valid" }),
  ).toBeVisible();
});
