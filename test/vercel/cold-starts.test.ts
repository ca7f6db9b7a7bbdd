import type { VercelRuntime } from "@tools/vercel-runtime";
import { MIGRATION_LOCK_KEY } from "drizzle-boot-migrator";
import { readJournal } from "drizzle-boot-migrator/folder";
import { afterEach, describe, expect, inject, test } from "vitest";
import {
  applyMigrations,
  createTestDatabase,
  MIGRATIONS_FOLDER,
  type TestDatabase,
} from "../support/database";
import { ledgerWhens, withSql } from "../support/migrator";
import { asOperator, migrationsWithoutNewest } from "../support/next-app";
import { deployOnVercelRuntime, requestFrom } from "../support/vercel-deployment";

// Eight requests at once on a function with no instance: eight cold starts, each its own process
// with VERCEL=1, each running the boot check of instrumentation.ts before its first answer.

const COLD_STARTS = 8;
const journal = readJournal(MIGRATIONS_FOLDER);
let runtime: VercelRuntime | undefined;
let database: TestDatabase | undefined;

afterEach(async () => {
  await runtime?.stop();
  await database?.drop();
  runtime = undefined;
  database = undefined;
});

const healthAtOnce = (url: string) =>
  Promise.all(
    Array.from({ length: COLD_STARTS }, (_, index) =>
      requestFrom(`127.0.0.${index + 2}`, `${url}/api/health`, { headers: asOperator }),
    ),
  );

/** Backends of the deployment's instances on `url`'s database (the app names its connections). */
const appConnections = (url: string) =>
  withSql(url, async (sql) => {
    const [row] = await sql<{ count: number }[]>`
      select count(*)::int as count from pg_stat_activity
      where datname = current_database() and application_name like 'agency-reporting%'`;
    return row?.count ?? -1;
  });

describe("cold starts on Vercel's runtime", () => {
  test("on an up-to-date database: each instance checks, takes no lock, applies nothing, opens one connection", async () => {
    database = await createTestDatabase({ migrated: true });
    const url = database.url;
    const ledger = await ledgerWhens(url);
    runtime = await deployOnVercelRuntime(inject("vercelBuild").outputDir, url);

    // The migration lock is held elsewhere all along: an instance that asked for it would wait.
    const answers = await withSql(url, async (sql) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      const result = await healthAtOnce(runtime?.url ?? "");
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      return result;
    });

    expect(answers.map((answer) => answer.status)).toEqual(Array(COLD_STARTS).fill(200));
    for (const answer of answers) {
      expect(JSON.parse(answer.body)).toMatchObject({
        status: "ok",
        version: journal.entries.at(-1)?.tag,
        pending: [],
      });
    }
    // Each request cold-starts two functions: the proxy (a function of its own on Vercel) and
    // the route's; each instance runs the boot check of instrumentation.ts on one connection.
    const started = runtime.instances();
    expect(started.filter((instance) => instance.name === "_middleware")).toHaveLength(COLD_STARTS);
    expect(started.filter((instance) => instance.name === "api/auth/[...all]")).toHaveLength(
      COLD_STARTS,
    );
    expect(await appConnections(url)).toBe(started.length);
    expect(await ledgerWhens(url)).toEqual(ledger);
    expect(runtime.output()).not.toContain("took the migration lock");
  });

  test("one migration behind: every instance answers 503 with the reason, none applies it", async () => {
    database = await createTestDatabase();
    const url = database.url;
    const older = await migrationsWithoutNewest(MIGRATIONS_FOLDER);
    try {
      await applyMigrations(url, older.dir);
    } finally {
      await older.remove();
    }
    const ledger = await ledgerWhens(url);
    const newest = journal.entries.at(-1)?.tag ?? "";
    runtime = await deployOnVercelRuntime(inject("vercelBuild").outputDir, url);

    const answers = await healthAtOnce(runtime.url);

    expect(answers.map((answer) => answer.status)).toEqual(Array(COLD_STARTS).fill(503));
    for (const answer of answers) {
      const body = JSON.parse(answer.body) as { status: string; reason: string };
      expect(body.status).toBe("unavailable");
      expect(body.reason).toContain(newest);
    }
    const page = await requestFrom("127.0.0.2", `${runtime.url}/sign-in`);
    expect(page.status).toBe(503);
    expect(page.body).toContain("MIGRATIONS_NOT_APPLIED");
    expect(await ledgerWhens(url)).toEqual(ledger);
  });
});
