import type { BrowserContext, Page } from "@playwright/test";
import { startScript } from "../../test/support/processes";
import { test as base, type Credentials, expect } from "./fixtures";

/**
 * `npm run admin:create` against the e2e server's database, as an operator bootstrapping a
 * deploy would run it; resolves with its output.
 */
export async function runAdminCreate(
  databaseUrl: string,
  baseURL: string,
  args: string[],
): Promise<string> {
  const run = await startScript("scripts/admin-create.ts", args, {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_URL: baseURL,
    },
  }).exited;
  if (run.code !== 0) throw new Error(`admin:create failed: ${run.output}`);
  return run.stdout;
}

export function inviteLinkIn(text: string): string {
  const link = /https?:\/\/\S+\/invite\/[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  if (!link) throw new Error(`no invite link in:\n${text}`);
  return link;
}

/** Opens an invite link, chooses a name and password, and expects to land on the dashboard. */
export async function acceptThroughPage(page: Page, link: string, user: Credentials) {
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "You are invited" })).toBeVisible();
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId("user-email")).toHaveText(user.email);
}

/**
 * On a client's page, invites `email` with the role whose label is `role`; returns the link the
 * page hands over (production without a sender shows it to copy). Works inside the client page's
 * invite form only: right after a click on a client's link, the admin page (whose agency-admin
 * form also has an "Email" field) may still be the one showing.
 */
export async function inviteThroughClientPage(
  page: Page,
  email: string,
  role: "Member" | "Client admin",
): Promise<string> {
  const form = page.getByRole("region", { name: "Invite someone" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption({ label: role });
  await form.getByRole("button", { name: "Send invitation" }).click();
  return form.getByLabel("Invitation link").inputValue();
}

interface InvitationWorkerFixtures {
  /**
   * The agency admin of this run: bootstrapped with admin:create, activated through the invite
   * page in its own context; its cookies, so tests open admin contexts without signing in (sign-in
   * is rate limited in production).
   */
  adminState: Awaited<ReturnType<BrowserContext["storageState"]>>;
}

interface InvitationFixtures {
  /** A page signed in as the run's agency admin, in a context of its own (not `page`'s). */
  adminPage: Page;
}

export const test = base.extend<InvitationFixtures, InvitationWorkerFixtures>({
  adminPage: async ({ browser, adminState, baseURL }, use) => {
    const context = await browser.newContext({ baseURL, storageState: adminState });
    await use(await context.newPage());
    await context.close();
  },
  adminState: [
    async ({ browser, databaseUrl }, use, workerInfo) => {
      if (!databaseUrl) throw new Error("admin:create needs the server's database.");
      const baseURL = String(workerInfo.project.use.baseURL);
      const unique = `${Date.now().toString(36)}-${workerInfo.workerIndex}`;
      const admin = {
        name: `Agency Admin ${unique}`,
        email: `admin-${unique}@example.com`,
        password: `pw-${unique}-Admin-Horse`,
      };
      const output = await runAdminCreate(databaseUrl, baseURL, [
        "--email",
        admin.email,
        "--name",
        admin.name,
      ]);
      const context = await browser.newContext({ baseURL });
      const page = await context.newPage();
      await acceptThroughPage(page, inviteLinkIn(output), admin);
      const state = await context.storageState();
      await context.close();
      await use(state);
    },
    { scope: "worker" },
  ],
});

export { expect };
