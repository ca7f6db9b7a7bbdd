import type { Browser, BrowserContext, Page } from "@playwright/test";
import { startScript } from "../../test/support/processes";
import { test as base, type Credentials, expect } from "./fixtures";
import { readE2eState } from "./state";

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

/** A context signed in as `state` (cookies saved from another context), without a sign-in. */
export function contextAs(
  browser: Browser,
  state: Awaited<ReturnType<BrowserContext["storageState"]>>,
) {
  return browser.newContext({ storageState: state });
}

interface InvitationWorkerFixtures {
  /**
   * The agency admin of this run: bootstrapped with admin:create, activated through the invite
   * page in its own context; its cookies, so tests open admin contexts without signing in (sign-in
   * is rate limited in production).
   */
  adminState: Awaited<ReturnType<BrowserContext["storageState"]>>;
}

export const test = base.extend<object, InvitationWorkerFixtures>({
  adminState: [
    async ({ browser, stateFile }, use, workerInfo) => {
      const { databaseUrl } = await readE2eState(stateFile);
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
