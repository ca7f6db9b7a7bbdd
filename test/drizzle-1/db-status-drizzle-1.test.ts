import { mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  folderName1,
  migrate1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import { DRIZZLE_1_REGISTER } from "../support/drizzle-1/paths";
import {
  emptyDatabasePerTest,
  type FixtureMigration,
  fixtureMigration,
  migratorChildEnv,
} from "../support/migrator";
import { type ProcessResult, startScript } from "../support/processes";

// `npm run db:status` of a project on drizzle-orm 1.0: the script runs with drizzle-orm 1.0
// (test/support/drizzle-1/), so the package follows 1.0's folder per migration and its ledger.
requireDrizzle1();
const db = emptyDatabasePerTest();

const migrations = [0, 1, 2].map((n) => fixtureMigration(n));
const name = (n: number) => folderName1(migrations[n] as FixtureMigration);

function dbStatus(url: string, folder: string, args: string[] = []): Promise<ProcessResult> {
  return startScript("scripts/db-status.ts", ["--migrations-folder", folder, ...args], {
    env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: url }),
    imports: [DRIZZLE_1_REGISTER],
  }).exited;
}

describe("npm run db:status on a drizzle-kit 1.0 folder", () => {
  it("reports the applied migrations by folder name and the pending one, without writing", async () => {
    const folder = writeMigrationFolder1(migrations.slice(0, 2));
    const applied = await migrate1(db.url, folder);
    expect(applied.code, applied.output).toBe(0);
    writeMigrationFolder1(migrations, folder);

    const status = await dbStatus(db.url, folder, ["--fail-on-pending"]);
    expect(status.code, status.output).toBe(1);
    expect(status.output).toContain(`version:  ${name(1)}`);
    expect(status.output).toMatch(
      new RegExp(`applied \\(2\\):\\n  ${name(0)} .*ledger id 1\\n  ${name(1)} .*ledger id 2\\n`),
    );
    expect(status.output).toMatch(new RegExp(`pending \\(1\\):\\n  ${name(2)} `));
    expect(status.output).toContain("problems (0):");

    const again = await migrate1(db.url, folder);
    expect(again.output).toContain(`[migrate] ran ${name(2)} `);
    const done = await dbStatus(db.url, folder, ["--fail-on-pending"]);
    expect(done.code, done.output).toBe(0);
    expect(done.output).toContain("pending (0):");
  });

  it("names a migration directory drizzle-orm 1.0 would skip", async () => {
    const folder = writeMigrationFolder1(migrations.slice(0, 1));
    mkdirSync(path.join(folder, "20300101000000_lost"));
    const status = await dbStatus(db.url, folder);
    expect(status.output).toContain("skipped or misread by drizzle-orm 1.0 (1)");
    expect(status.output).toContain("20300101000000_lost/ has no migration.sql");
    expect(status.output).toMatch(new RegExp(`pending \\(1\\):\\n  ${name(0)} `));
  });
});
