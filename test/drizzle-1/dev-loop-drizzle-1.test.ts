import { writeFileSync } from "node:fs";
import path from "node:path";
import { appendMigration1 } from "drizzle-boot-migrator/folder";
import { afterEach, describe, expect, it } from "vitest";
import { followMigrationsFolders } from "@/server/dev-migrations";
import {
  ledgerRows,
  migrate1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import {
  emptyDatabasePerTest,
  eventually,
  fixtureMigration,
  tableExists,
} from "../support/migrator";
import type { ProcessResult } from "../support/processes";

// The dev loop of `npm run dev` (src/server/dev-migrations.ts) on a drizzle-kit 1.0 folder: it
// follows the folder and runs the migrator after each settled change. Each run here is the
// package's CLI on drizzle-orm 1.0 (test/support/drizzle-1/), as `next dev` would run it after
// the upgrade; the loop itself is the app's own code.
requireDrizzle1();
const db = emptyDatabasePerTest();

let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  stop = undefined;
});

/** Follows `folder` as `next dev` does; every run's result lands in the returned list. */
function follow(folder: string): ProcessResult[] {
  const runs: ProcessResult[] = [];
  stop = followMigrationsFolders(
    [folder],
    async () => {
      runs.push(await migrate1(db.url, folder));
    },
    () => {},
  );
  return runs;
}

describe("the dev loop on a drizzle-kit 1.0 folder", { timeout: 120_000 }, () => {
  it("applies a new migration directory, and a fix written inside a failed one", async () => {
    const folder = writeMigrationFolder1([fixtureMigration(0)]);
    expect((await migrate1(db.url, folder)).code).toBe(0);
    const runs = follow(folder);

    const added = appendMigration1(folder, "add-notes", "create table dev_notes (id int)");
    await eventually("the new migration is applied", () => tableExists(db.url, "dev_notes"));
    expect(runs.at(-1)?.output).toContain(`[migrate] ran ${added} `);

    const broken = appendMigration1(folder, "add-tags", "create table dev_tags (id no_such_type)");
    await eventually("the broken migration has failed", async () =>
      runs.some((run) => run.output.includes("failed (MIGRATION_FAILED)")),
    );
    writeFileSync(path.join(folder, broken, "migration.sql"), "create table dev_tags (id int)");
    await eventually("the fixed migration is applied", () => tableExists(db.url, "dev_tags"));
    expect((await ledgerRows(db.url)).map((row) => row.name)).toEqual([
      expect.stringMatching(/^\d{14}_step-0$/),
      added,
      broken,
    ]);
  });
});
