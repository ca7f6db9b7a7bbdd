import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { withSql } from "../support/migrator";
import { buildStandaloneCopy, get, type ServerProcess, startServer } from "../support/next-app";
import { REPO_ROOT, startProcess } from "../support/processes";
import { needs } from "../support/system-tools";

// `npm run test:e2e` with E2E_BASE_URL against a standalone server this file starts itself, the
// way QA points it at staging: Playwright must use that server and build nothing of its own.

let standalone: { dir: string; remove(): Promise<void> };
let database: TestDatabase;
let server: ServerProcess;
let outputDir: string;

// A `next build` (20–100 s here) that may share the cores with other files' builds.
beforeAll(async () => {
  standalone = await buildStandaloneCopy();
  await deployFresh();
  outputDir = await mkdtemp(path.join(os.tmpdir(), "e2e-deployed-"));
}, 600_000);

/**
 * A deployed server on a database of its own, healthy. Each run of the smoke tests gets one: the
 * sign-in limit (3 per 10 s per address, counted in the server's database) would otherwise carry
 * one run's sign-ins over into the next.
 */
async function deployFresh(): Promise<void> {
  await server?.stop();
  await database?.drop();
  database = await createTestDatabase();
  // A deployed server under smoke test opens sign-up, as docs/deployment.md says.
  server = await startServer("standalone", standalone.dir, {
    DATABASE_URL: database.url,
    SIGN_UP_ENABLED: "true",
  });
  for (let waited = 0; (await get(`${server.url}/api/health`)).status !== 200; waited += 200) {
    if (waited > 60_000) throw new Error(`the server never became healthy:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

afterAll(async () => {
  await server?.stop();
  await database?.drop();
  await standalone?.remove();
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
});

/** `npm run test:e2e` as QA would run it, with only these variables. */
async function testE2e(env: Record<string, string>) {
  const run = startProcess(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules/@playwright/test/cli.js"), "test", "--output", outputDir],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", ...env },
    },
  );
  return run.exited;
}

/** The smoke tests a spec file declares, so that adding one does not break the counts below. */
const testsIn = (spec: string) =>
  (readFileSync(path.join(REPO_ROOT, "e2e", spec), "utf8").match(/^test\(/gm) ?? []).length;
const signUpSmoke = testsIn("auth.spec.ts");
const invitationSmoke = testsIn("invitations.spec.ts");

const e2eUsers = (url: string) =>
  withSql(url, (sql) => sql<{ email: string }[]>`select email from users where email like 'e2e-%'`);

describe("npm run test:e2e against an already-deployed server", {
  timeout: 180_000,
  ...needs("chromium"),
}, () => {
  test("with E2E_DATABASE_URL: the checks read Postgres and the invitation smoke runs too", async () => {
    const run = await testE2e({ E2E_BASE_URL: server.url, E2E_DATABASE_URL: database.url });

    expect(run.output).toMatch(new RegExp(`\\b${signUpSmoke + invitationSmoke} passed\\b`));
    expect(run.code).toBe(0);
    expect(run.output).not.toContain("[e2e web server]");
  });

  test("without a database URL: the sign-up smoke checks through the app; the invitation smoke is skipped", async () => {
    await deployFresh();

    const run = await testE2e({ E2E_BASE_URL: server.url });

    expect(run.output).toMatch(new RegExp(`\\b${signUpSmoke} passed\\b`));
    expect(run.output).toMatch(new RegExp(`\\b${invitationSmoke} skipped\\b`));
    expect(run.code).toBe(0);
    // It tested this server (its users are in this server's database) and started none of its own.
    expect(await e2eUsers(database.url)).toHaveLength(2);
    expect(run.output).not.toContain("[e2e web server]");
  });
});
