import { describe, expect, it } from "vitest";
import { MigrationError } from "@/lib/db/migrator/errors";
import { inspectMigrations, runMigrator } from "@/lib/db/migrator/run";
import type { MigratorSettings } from "@/lib/db/migrator/settings";
import { migratorSettingsFor } from "../support/database";
import {
  emptyDatabasePerTest,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

const step = fixtureMigration;

const db = emptyDatabasePerTest();

function settingsFor(migrations: FixtureMigration[]): MigratorSettings {
  return migratorSettingsFor(db.url, writeMigrationFolder(migrations));
}

const ledgerTableExists = () =>
  withSql(db.url, async (sql) => {
    const [row] = await sql<{ found: boolean }[]>`
      select to_regclass('drizzle.__drizzle_migrations') is not null as found`;
    return row?.found;
  });

describe("runMigrator", () => {
  it("check mode reports pending migrations and writes nothing, not even drizzle's ledger", async () => {
    const lines: string[] = [];
    const report = await runMigrator(settingsFor([step(0), step(1)]), {
      mode: "check",
      log: (line) => lines.push(line),
    });
    expect(report).toMatchObject({
      mode: "check",
      appliedNow: [],
      version: null,
      pending: ["0000_step-0", "0001_step-1"],
      total: 2,
    });
    expect(lines).toEqual([
      expect.stringMatching(/^\[migrate\] check: .* 2 of 2 migrations pending/),
    ]);
    expect(await ledgerTableExists()).toBe(false);
  });

  it("apply reports what it applied, then the fast path reports the version with one line", async () => {
    const settings = settingsFor([step(0), step(1)]);
    const first = await runMigrator(settings, { mode: "apply", log: () => {} });
    expect(first).toMatchObject({
      mode: "apply",
      appliedNow: ["0000_step-0", "0001_step-1"],
      version: "0001_step-1",
      pending: [],
      total: 2,
    });

    const lines: string[] = [];
    const second = await runMigrator(settings, { mode: "apply", log: (line) => lines.push(line) });
    expect(second).toMatchObject({ appliedNow: [], version: "0001_step-1", pending: [] });
    expect(lines).toHaveLength(1);
  });

  it("check mode throws the validation problem with its code", async () => {
    await runMigrator(settingsFor([step(0), step(2)]), { mode: "apply", log: () => {} });
    const check = runMigrator(settingsFor([step(0), step(1), step(2)]), {
      mode: "check",
      log: () => {},
    });
    await expect(check).rejects.toBeInstanceOf(MigrationError);
    await expect(check).rejects.toMatchObject({ code: "OUT_OF_ORDER", tag: "0001_step-1" });
  });

  it("logs a line per step with durations when it applies", async () => {
    const lines: string[] = [];
    await runMigrator(settingsFor([step(0), step(1)]), {
      mode: "apply",
      log: (line) => lines.push(line),
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^\[migrate\] connected to .* in \d+ ms; 2 of 2 migrations pending \(0000_step-0, 0001_step-1\)$/,
      ),
      expect.stringMatching(
        /^\[migrate\] took the migration lock in \d+ ms \(backend pid \d+; lock_timeout 5s, statement_timeout 5min, idle_in_transaction_session_timeout 30s\)$/,
      ),
      expect.stringMatching(/^\[migrate\] ran 0000_step-0 in \d+ ms \(1 statement\(s\)\)$/),
      expect.stringMatching(/^\[migrate\] ran 0001_step-1 in \d+ ms \(1 statement\(s\)\)$/),
      expect.stringMatching(/^\[migrate\] committed 2 migration\(s\) in \d+ ms$/),
      expect.stringMatching(
        /^\[migrate\] done: applied 2 migration\(s\), .* is at 0001_step-1 \(total \d+ ms\)$/,
      ),
    ]);
  });
});

describe("inspectMigrations (db:status)", () => {
  it("lists every problem instead of stopping at the first", async () => {
    await runMigrator(settingsFor([step(0), step(2)]), { mode: "apply", log: () => {} });
    const status = await inspectMigrations(
      settingsFor([
        step(0, ["create table step_0 (id int, changed int)"]),
        step(1, ["create index concurrently step_1_idx on step_0 (id)"]),
        step(2),
      ]),
      { log: () => {} },
    );
    expect(status.problems.map((problem) => problem.code).sort()).toEqual([
      "CHECKSUM_MISMATCH",
      "CONCURRENTLY",
      "OUT_OF_ORDER",
    ]);
    expect(status.applied.map((migration) => migration.tag)).toEqual([
      "0000_step-0",
      "0002_step-2",
    ]);
    expect(status.pending.map((migration) => migration.tag)).toEqual(["0001_step-1"]);
    expect(await ledgerWhens(db.url)).toEqual([FIXTURE_T0, FIXTURE_T0 + 2000]);
  });
});
