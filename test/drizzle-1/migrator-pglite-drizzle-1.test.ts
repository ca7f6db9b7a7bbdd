import { describe, expect, it } from "vitest";
import {
  folderName1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import { DRIZZLE_1_REGISTER } from "../support/drizzle-1/paths";
import { fixtureMigration, noTransactionMigration } from "../support/migrator";
import { startScript } from "../support/processes";

// pgliteDriver on drizzle-orm 1.0: a process whose drizzle-orm is 1.0.0-rc.5 applies folders in
// 1.0's layout to one in-memory PGlite (test/support/fixtures/pglite-migrate.ts), so 1.0's
// `migrate()` runs through drizzle's own `drizzle-orm/pglite` session of that version.
requireDrizzle1();

interface Outcome {
  runs: ({ applied: string[] } | { code: string })[];
  ledger: { name: string; created_at: string; stamped: boolean }[];
  tables: { tablename: string }[];
}

async function migrateOnPglite(folders: string[]): Promise<Outcome> {
  const result = await startScript("test/support/fixtures/pglite-migrate.ts", folders, {
    imports: [DRIZZLE_1_REGISTER],
  }).exited;
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "") as Outcome;
}

describe("pgliteDriver on drizzle-orm 1.0", () => {
  it("applies, runs a -- no-transaction migration, rolls a failure back, and names each ledger row", async () => {
    const migrations = [
      fixtureMigration(0),
      noTransactionMigration(1, ["create index concurrently step_0_id_idx on step_0 (id)"]),
      fixtureMigration(2),
    ];
    const failing = fixtureMigration(3, ["create table step_3 (id int)", "select 1 / 0"]);
    const outcome = await migrateOnPglite([
      writeMigrationFolder1(migrations),
      writeMigrationFolder1(migrations),
      writeMigrationFolder1([...migrations, failing]),
    ]);
    expect(outcome.runs).toEqual([
      { applied: migrations.map(folderName1) },
      { applied: [] },
      { code: "MIGRATION_FAILED" },
    ]);
    expect(outcome.ledger).toEqual(
      migrations.map((migration) => ({
        name: folderName1(migration),
        created_at: String(migration.when),
        stamped: true,
      })),
    );
    expect(outcome.tables.map((table) => table.tablename)).toEqual(["step_0", "step_2"]);
  });
});
