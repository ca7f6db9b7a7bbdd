import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultPreviousRelease, type Release } from "@tools/compat/previous-release";
import { appendMigration } from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";

import { REPO_ROOT, startScript } from "../support/processes";
import { needs } from "../support/system-tools";

// `npm run test:compat` (run by CI on the committed migrations, where it passes) on a fixture
// that drops a column the previous release reads. It reuses the previous release's build that
// test:compat keeps per commit, so after the first run this costs the tests, not a build.

let fixture: string;
let release: Release;

beforeAll(async () => {
  // The release test:compat picks for the committed migrations, so that both share one build.
  release = await defaultPreviousRelease(REPO_ROOT, MIGRATIONS_FOLDER);
  fixture = await mkdtemp(path.join(os.tmpdir(), "compat-fixture-"));
  await cp(MIGRATIONS_FOLDER, fixture, { recursive: true });
  // Better Auth's adapter selects every column it knows, image included, on every user read.
  appendMigration(fixture, "9000_drop-users-image", 'ALTER TABLE "users" DROP COLUMN "image";');
});

afterAll(async () => {
  if (fixture) await rm(fixture, { recursive: true, force: true });
});

describe("npm run test:compat", { timeout: 600_000, ...needs("chromium") }, () => {
  test("fails on a migration that drops a column the previous release reads, saying what broke", async () => {
    const run = await startScript(
      "scripts/test-compat.ts",
      ["--ref", release.commit, "--migrations-folder", fixture],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: "test",
          TEST_DATABASE_URL: inject("adminDatabaseUrl"),
        },
      },
    ).exited;

    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain("test:compat FAILED: the smoke tests of ");
    expect(run.stderr).toContain(`fail on a database migrated with ${fixture}`);
    // The migration did apply: the failure is the old code on the new schema.
    expect(run.stderr).toContain("ran 9000_drop-users-image");
    expect(run.stderr).toMatch(/✘ .*sign up, see the dashboard/);
    expect(run.stderr).toMatch(/column .*"image" does not exist/);
    expect(run.stderr).toContain("docs/migrations.md#expand-and-contract");
    const kept = /Traces and screenshots are kept in (\S+)\.$/m.exec(run.stderr)?.[1];
    expect(kept).toBeDefined();
    if (kept) await rm(kept, { recursive: true, force: true });
  });
});
