import { existsSync } from "node:fs";
import path from "node:path";
import { vercelBuild } from "@tools/vercel-runtime/vercel-build";
import { appendMigration, readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createTestDatabase, MIGRATIONS_FOLDER, type TestDatabase } from "../support/database";
import { ledgerWhens, tableExists } from "../support/migrator";

import { copyProjectForVercel, type VercelProject } from "../support/vercel-project";

// `vercel build` (the pinned CLI, offline, local project settings) runs the project's
// `vercel-build` script: db:migrate, then next build. The successful build is the suite's shared
// one (test/support/vercel-build.ts); the two refused builds stop at db:migrate, before next build.

const journal = readJournal(MIGRATIONS_FOLDER);

test("vercel build migrates the database, then writes the Build Output with the migrations traced", async () => {
  const build = inject("vercelBuild");

  expect(await ledgerWhens(build.databaseUrl)).toEqual(journal.entries.map((entry) => entry.when));
  expect(build.output).toContain('Running "npm run vercel-build"');
  expect(build.output).toMatch(/\[migrate\] done: applied \d+ migration/);
  expect(existsSync(path.join(build.outputDir, "config.json"))).toBe(true);
  const health = path.join(build.outputDir, "functions/api/health.func/.vc-config.json");
  const config = (await import(health, { with: { type: "json" } })).default as {
    filePathMap: Record<string, string>;
    runtime: string;
  };
  expect(config.filePathMap).toHaveProperty("drizzle/meta/_journal.json");
  // engines names the majors: Vercel picks the newest of them and has no upgrade to warn about.
  expect(config.runtime).toBe("nodejs24.x");
  expect(build.output).not.toContain("will automatically upgrade");
});

describe("a build that must not migrate", () => {
  let project: VercelProject;
  let database: TestDatabase;

  beforeAll(async () => {
    project = await copyProjectForVercel();
    database = await createTestDatabase({ migrated: true });
  });
  afterAll(async () => {
    await project?.remove();
    await database?.drop();
  });

  test("a transaction-pooler URL is refused, naming the variable to set", async () => {
    const pooled = new URL(database.url);
    pooled.searchParams.set("pgbouncer", "true");

    const build = await vercelBuild(project.dir, { DATABASE_URL: pooled.toString() });

    expect(build.code).not.toBe(0);
    expect(build.output).toContain("DATABASE_URL_UNPOOLED");
    expect(build.output).toContain('Command "npm run vercel-build" exited with 2');
  });

  test("a failing migration fails the build, with nothing of it applied", async () => {
    const before = await ledgerWhens(database.url);
    appendMigration(
      path.join(project.dir, "drizzle"),
      "0099_broken",
      'CREATE TABLE "vercel_half_done" ("id" integer);\n--> statement-breakpoint\nALTER TABLE "no_such_table" ADD COLUMN "x" integer;\n',
    );

    const build = await vercelBuild(project.dir, { DATABASE_URL: database.url });

    expect(build.code).not.toBe(0);
    expect(build.output).toContain("0099_broken");
    expect(build.output).toContain('relation "no_such_table" does not exist');
    expect(build.output).toContain('Command "npm run vercel-build" exited with 1');
    expect(build.output).not.toContain("Creating an optimized production build");
    expect(await ledgerWhens(database.url)).toEqual(before);
    expect(await tableExists(database.url, "vercel_half_done")).toBe(false);
  });
});
