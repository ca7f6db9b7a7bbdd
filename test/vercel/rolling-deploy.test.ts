import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { VercelRuntime } from "@tools/vercel-runtime";
import { vercelBuild } from "@tools/vercel-runtime/vercel-build";
import { appendMigration } from "drizzle-boot-migrator/folder";
import { afterAll, expect, inject, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { withSql } from "../support/migrator";
import { asOperator } from "../support/next-app";
import { REPO_ROOT, startProcess } from "../support/processes";
import { needs } from "../support/system-tools";
import { deployOnVercelRuntime, requestFrom } from "../support/vercel-deployment";
import { copyProjectForVercel, type VercelProject } from "../support/vercel-project";

// A rolling deploy on Vercel: the deployment that serves (the suite's shared Build Output) keeps
// serving while the next deployment's build applies an expand migration (a nullable column);
// then the next deployment serves on the new schema, and the serving release's own Playwright
// smoke test (e2e/auth.spec.ts: sign up through the pages, the stored user's columns checked in
// Postgres, sign out, sign in) passes against the new schema on the emulated deployment.

const EXPAND_TAG = "0099_vercel_expand";
let database: TestDatabase | undefined;
let project: VercelProject | undefined;
const deployments: VercelRuntime[] = [];
let playwrightOutput: string | undefined;

afterAll(async () => {
  for (const deployment of deployments) await deployment.stop();
  await project?.remove();
  await database?.drop();
  if (playwrightOutput) await rm(playwrightOutput, { recursive: true, force: true });
});

test("the previous deployment serves 200 throughout the next build's migration; then the next serves, and the previous release's smoke passes on the new schema", {
  timeout: 600_000,
  ...needs("chromium"),
}, async () => {
  database = await createTestDatabase({ migrated: true });
  const url = database.url;
  const previous = await deployOnVercelRuntime(
    inject("vercelBuild").outputDir,
    url,
    // The smoke test signs up through the page (closed by default in production).
    { SIGN_UP_ENABLED: "true" },
    // A browser sends several requests at once (navigations, prefetches): with fluid compute they
    // share instances instead of each waiting for a cold start of its own.
    { requestsPerInstance: 20 },
  );
  deployments.push(previous);
  expect((await requestFrom("127.0.0.2", `${previous.url}/api/health`)).status).toBe(200);

  project = await copyProjectForVercel();
  appendMigration(
    path.join(project.dir, "drizzle"),
    EXPAND_TAG,
    'ALTER TABLE "users" ADD COLUMN "vercel_nickname" text;\n',
  );
  const served: number[] = [];
  let building = true;
  const probing = (async () => {
    while (building) {
      for (const page of ["/api/health", "/sign-in"]) {
        served.push((await requestFrom("127.0.0.2", `${previous.url}${page}`)).status);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const build = await vercelBuild(project.dir, { DATABASE_URL: url }).finally(() => {
    building = false;
  });
  await probing;

  expect(build.code, build.output).toBe(0);
  expect(build.output).toContain(`ran ${EXPAND_TAG}`);
  expect(served.length).toBeGreaterThan(4);
  expect(new Set(served)).toEqual(new Set([200]));
  expect(await columnExists(url, "users", "vercel_nickname")).toBe(true);

  const next = await deployOnVercelRuntime(build.outputDir, url);
  deployments.push(next);
  const health = await requestFrom("127.0.0.3", `${next.url}/api/health`, { headers: asOperator });
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toMatchObject({ version: EXPAND_TAG, pending: [] });
  const stillServing = await requestFrom("127.0.0.2", `${previous.url}/api/health`, {
    headers: asOperator,
  });
  expect(stillServing.status).toBe(200);
  expect(JSON.parse(stillServing.body)).toMatchObject({ ahead: 1 });

  // Warm, as a production deployment in use is: one instance of each function the smoke uses.
  for (const page of ["/", "/sign-up", "/sign-in", "/dashboard", "/api/auth/get-session"]) {
    await requestFrom("127.0.0.2", `${previous.url}${page}`);
  }
  playwrightOutput = await mkdtemp(path.join(os.tmpdir(), "vercel-e2e-"));
  const smoke = await startProcess(
    process.execPath,
    [
      path.join(REPO_ROOT, "node_modules/@playwright/test/cli.js"),
      "test",
      "e2e/auth.spec.ts",
      "--output",
      playwrightOutput,
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "test",
        E2E_BASE_URL: previous.publicUrl,
        E2E_DATABASE_URL: url,
      },
    },
  ).exited;
  expect(smoke.code, `${smoke.output}\n${previous.output()}`).toBe(0);
  expect(smoke.output).toMatch(/\b\d+ passed\b/);
  expect(smoke.output).not.toMatch(/\b\d+ (failed|skipped)\b/);
});

function columnExists(url: string, table: string, column: string): Promise<boolean> {
  return withSql(url, async (sql) => {
    const rows = await sql`
      select 1 from information_schema.columns where table_name = ${table} and column_name = ${column}`;
    return rows.length === 1;
  });
}
