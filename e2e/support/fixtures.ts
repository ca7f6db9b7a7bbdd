import { test as base, expect, type Page } from "@playwright/test";
import { createDbConnection, type Database } from "@/lib/db/client";
import { appRecords, databaseRecords, type Records } from "./records";
import { readE2eState } from "./state";

export interface E2eOptions {
  /** Where the web server wrote the database URL (set in playwright.config.ts). */
  stateFile: string;
  /** Set when the run tests an already-deployed server (E2E_BASE_URL) instead of its own. */
  deployed: { databaseUrl: string | undefined } | undefined;
}

export interface Credentials {
  name: string;
  email: string;
  password: string;
}

interface WorkerFixtures extends E2eOptions {
  /** The database of the server under test, when this run can reach it. */
  databaseUrl: string | undefined;
  /** A connection to it, when there is one. */
  connection: Database | undefined;
  /** That database, to check what the pages wrote; a test that uses it needs one. */
  db: Database;
  /** The checks: in that database when there is one, else through the app. */
  records: Records;
}

export const test = base.extend<{ user: Credentials }, WorkerFixtures>({
  stateFile: ["", { option: true, scope: "worker" }],
  deployed: [undefined, { option: true, scope: "worker" }],
  databaseUrl: [
    async ({ stateFile, deployed }, use) => {
      await use(deployed ? deployed.databaseUrl : (await readE2eState(stateFile)).databaseUrl);
    },
    { scope: "worker" },
  ],
  connection: [
    async ({ databaseUrl }, use) => {
      if (!databaseUrl) {
        await use(undefined);
        return;
      }
      const connection = createDbConnection({
        url: databaseUrl,
        max: 2,
        applicationName: "agency-reporting:e2e",
      });
      await use(connection.db);
      await connection.close();
    },
    { scope: "worker" },
  ],
  db: [
    async ({ connection }, use) => {
      if (!connection) {
        throw new Error("This test reads the server's database: set E2E_DATABASE_URL.");
      }
      await use(connection);
    },
    { scope: "worker" },
  ],
  records: [
    async ({ connection }, use) => {
      await use(connection ? databaseRecords(connection) : appRecords);
    },
    { scope: "worker" },
  ],
  // A user no other test (or earlier run on a reused database) has touched.
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern, and it must be an object pattern.
  user: async ({}, use, testInfo) => {
    const unique = `${Date.now().toString(36)}-${testInfo.workerIndex}-${testInfo.testId}`;
    await use({
      name: `E2E ${unique}`,
      email: `e2e-${unique}@example.com`,
      password: `pw-${unique}-Correct-Horse`,
    });
  },
});

export { expect };

export async function signUpThroughPage(page: Page, user: Credentials): Promise<void> {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function signInThroughPage(
  page: Page,
  credentials: Pick<Credentials, "email" | "password">,
): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function expectDashboardFor(page: Page, user: Credentials): Promise<void> {
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("user-name")).toHaveText(user.name);
  await expect(page.getByTestId("user-email")).toHaveText(user.email);
  await expect(page.getByTestId("user-status")).toHaveText("active");
}
