import { createLog, MigrationError, type MigratorSettings, silentLog } from "drizzle-boot-migrator";
import { describe, expect, it } from "vitest";
import { migratorSettingsFor } from "../support/database";
import { TEST_DRIZZLE } from "../support/drizzle-version";
import {
  emptyDatabasePerTest,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  linesLog,
  migrationFile,
  migrationName,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";
import {
  inspectOnTestDriver as inspectMigrations,
  runOnTestDriver as runMigrator,
} from "../support/migrator-driver";

const step = fixtureMigration;
/** Step `n`'s name on this run's drizzle (its tag on 0.45, its directory on 1.0). */
const name = (n: number) => migrationName(step(n));

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
      pending: [name(0), name(1)],
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
      appliedNow: [name(0), name(1)],
      version: name(1),
      pending: [],
      total: 2,
    });

    const lines: string[] = [];
    const second = await runMigrator(settings, { mode: "apply", log: linesLog(lines) });
    expect(second).toMatchObject({ appliedNow: [], version: name(1), pending: [] });
    expect(lines).toHaveLength(1);
  });

  it("check mode applies the selection rule: an older pending migration is OUT_OF_ORDER on drizzle 0.45, pending on 1.0", async () => {
    await runMigrator(settingsFor([step(0), step(2)]), { mode: "apply", log: silentLog });
    const check = runMigrator(settingsFor([step(0), step(1), step(2)]), {
      mode: "check",
      log: silentLog,
    });
    if (TEST_DRIZZLE === "1") {
      // 1.0 runs every migration its ledger lacks by name, older ones included.
      await expect(check).resolves.toMatchObject({ appliedNow: [], pending: [name(1)] });
      return;
    }
    await expect(check).rejects.toBeInstanceOf(MigrationError);
    await expect(check).rejects.toMatchObject({ code: "OUT_OF_ORDER", tag: name(1) });
  });

  it("check mode names an escaping statement by its file, as this drizzle lays it out, and line", async () => {
    const commits = step(1, ["create table step_1 (id int)", "commit"]);
    const check = runMigrator(settingsFor([step(0), commits]), { mode: "check", log: silentLog });
    await expect(check).rejects.toMatchObject({ code: "TRANSACTION_CONTROL", tag: name(1) });
    await expect(check).rejects.toThrow(`drizzle/${migrationFile(commits)}:3: commit`);
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
      tag: name(0),
      statements: 1,
      durationMs: expect.any(Number),
      message: expect.stringMatching(new RegExp(`^ran ${name(0)} in \\d+ ms`)),
    });
    expect(events[5]).toMatchObject({
      applied: [name(0), name(1)],
      version: name(1),
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
        new RegExp(
          `^\\[migrate\\] connected to .* in \\d+ ms; 2 of 2 migrations pending \\(${name(0)}, ${name(1)}\\)$`,
        ),
      ),
      expect.stringMatching(
        /^\[migrate\] took the migration lock in \d+ ms \(backend pid \d+; lock_timeout 5s, statement_timeout 5min, idle_in_transaction_session_timeout 30s\)$/,
      ),
      ...[0, 1].map((n) =>
        expect.stringMatching(
          new RegExp(`^\\[migrate\\] ran ${name(n)} in \\d+ ms \\(1 statement\\(s\\)\\)$`),
        ),
      ),
      expect.stringMatching(/^\[migrate\] committed 2 migration\(s\) in \d+ ms$/),
      expect.stringMatching(
        new RegExp(
          `^\\[migrate\\] done: applied 2 migration\\(s\\), .* is at ${name(1)} \\(total \\d+ ms\\)$`,
        ),
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
    // An older pending migration is a problem under 0.45's selection rule only.
    expect(status.problems.map((problem) => problem.code).sort()).toEqual([
      "CHECKSUM_MISMATCH",
      "CONCURRENTLY",
      ...(TEST_DRIZZLE === "1" ? [] : ["OUT_OF_ORDER"]),
    ]);
    expect(status.applied.map((migration) => migration.tag)).toEqual([name(0), name(2)]);
    expect(status.pending.map((migration) => migration.tag)).toEqual([name(1)]);
    expect(await ledgerWhens(db.url)).toEqual([FIXTURE_T0, FIXTURE_T0 + 2000]);
  });
});
