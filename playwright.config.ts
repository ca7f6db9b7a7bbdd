import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import type { E2eOptions } from "./e2e/support/fixtures";
import { readEnv } from "./src/env";
import { isCi, locateSystemTool } from "./tools/system-tools";
import { TIMINGS_DIR, TIMINGS_FILES } from "./tools/test-timings";

/**
 * QA's smoke test: the production build, started on a fresh database that it migrates at boot,
 * driven through a real browser. See docs/auth.md ("What the smoke test proves"). With
 * E2E_BASE_URL it tests that already-deployed server instead (docs/deployment.md).
 */

const env = readEnv();
const deployed = env.E2E_BASE_URL ? { databaseUrl: env.E2E_DATABASE_URL } : undefined;

// Better Auth compares the Origin header with BETTER_AUTH_URL exactly: `localhost` and
// `127.0.0.1` are different origins (403 INVALID_ORIGIN), so the browser uses this very string.
const PORT = 3100;
const ownServerURL = `http://localhost:${PORT}`;
const baseURL = env.E2E_BASE_URL ?? ownServerURL;

// Where the web server writes the database URL for the tests. This file is evaluated by the
// runner and again by each worker; the runner's choice reaches the workers through the
// environment they inherit.
process.env.E2E_STATE_FILE ??= path.join(
  os.tmpdir(),
  `agency-reporting-e2e-${process.pid}-${Date.now()}.json`,
);
const stateFile = process.env.E2E_STATE_FILE;

// Debian's chromium needs these flags here; Playwright's own browser gets its own defaults. With
// neither, `npm run test:e2e` skips before Playwright starts (scripts/test-e2e.ts).
const browser = locateSystemTool("chromium", process.env);
const launchOptions =
  browser?.source === "system"
    ? {
        executablePath: browser.path,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-quic",
        ],
      }
    : {};

export default defineConfig<E2eOptions>({
  testDir: "e2e",
  forbidOnly: isCi(process.env),
  // Sign-in and sign-up are rate limited in production (3 per 10 s per IP): retries would trip it.
  retries: 0,
  workers: 1,
  reporter: [
    ["list"],
    // The build-and-serve run's time, for `npm run test:timings`; a deployed server has no build.
    ...(deployed
      ? []
      : [["json", { outputFile: path.join(TIMINGS_DIR, TIMINGS_FILES.playwright) }] as const]),
    ...(isCi(process.env) ? [["html", { open: "never" }] as const] : []),
  ],
  timeout: 30_000,
  use: {
    baseURL,
    trace: "retain-on-failure",
    stateFile,
    deployed,
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], launchOptions } }],
  webServer: deployed
    ? undefined
    : {
        // with-database makes a fresh database and runs the rest with DATABASE_URL set; the script
        // records that URL for the tests, builds, and starts the standalone server.js, which
        // migrates at boot.
        command:
          "npx tsx scripts/with-database.ts -- " +
          `npx tsx e2e/support/web-server.ts --port ${PORT} --state-file ${stateFile}`,
        // 200 only once the boot migrator has brought the fresh database up to date.
        url: `${ownServerURL}/api/health`,
        timeout: 240_000,
        reuseExistingServer: false,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          BETTER_AUTH_URL: ownServerURL,
          // The smoke test signs up through /sign-up, which production keeps closed by default.
          SIGN_UP_ENABLED: "true",
          BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
        },
        // SIGTERM lets the server and the database stop cleanly; Playwright's default is SIGKILL.
        gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
      },
});
