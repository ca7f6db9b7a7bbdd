import { createLog, MigrationError, type MigratorSettings, silentLog } from "drizzle-boot-migrator";
import { describe, expect, it } from "vitest";
import { migratorSettingsFor } from "../support/database";
import {
  emptyDatabasePerTest,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  linesLog,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";
import {
  inspectOnTestDriver as inspectMigrations,
  runOnTestDriver as runMigrator,
} from "../support/migrator-driver";

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
      log: linesLog(lines),
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
    const first = await runMigrator(settings, { mode: "apply", log: silentLog });
    expect(first).toMatchObject({
      mode: "apply",
      appliedNow: ["0000_step-0", "0001_step-1"],
      version: "0001_step-1",
      pending: [],
      total: 2,
    });

    const lines: string[] = [];
    const second = await runMigrator(settings, { mode: "apply", log: linesLog(lines) });
    expect(second).toMatchObject({ appliedNow: [], version: "0001_step-1", pending: [] });
    expect(lines).toHaveLength(1);
  });

  it("check mode throws the validation problem with its code", async () => {
    await runMigrator(settingsFor([step(0), step(2)]), { mode: "apply", log: silentLog });
    const check = runMigrator(settingsFor([step(0), step(1), step(2)]), {
      mode: "check",
      log: silentLog,
    });
    await expect(check).rejects.toBeInstanceOf(MigrationError);
    await expect(check).rejects.toMatchObject({ code: "OUT_OF_ORDER", tag: "0001_step-1" });
  });

  it("with LOG_FORMAT=json logs each step as one JSON event with its facts", async () => {
    const lines: string[] = [];
    const log = createLog({ prefix: "migrate", format: "json", write: (line) => lines.push(line) });
    await runMigrator(settingsFor([step(0), step(1)]), { mode: "apply", log });

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.event)).toEqual([
      "migrate.connected",
      "migrate.lock_acquired",
      "migrate.migration_applied",
      "migrate.migration_applied",
      "migrate.committed",
      "migrate.done",
    ]);
    expect(events[2]).toMatchObject({
      level: "info",
      tag: "0000_step-0",
      statements: 1,
      durationMs: expect.any(Number),
      message: expect.stringMatching(/^ran 0000_step-0 in \d+ ms/),
    });
    expect(events[5]).toMatchObject({
      applied: ["0000_step-0", "0001_step-1"],
      version: "0001_step-1",
      durationMs: expect.any(Number),
    });
  });

  it("logs a line per step with durations when it applies", async () => {
    const lines: string[] = [];
    await runMigrator(settingsFor([step(0), step(1)]), {
      mode: "apply",
      log: linesLog(lines),
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
    await runMigrator(settingsFor([step(0), step(2)]), { mode: "apply", log: silentLog });
    const status = await inspectMigrations(
      settingsFor([
        step(0, ["create table step_0 (id int, changed int)"]),
        step(1, ["create index concurrently step_1_idx on step_0 (id)"]),
        step(2),
      ]),
      { log: silentLog },
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
