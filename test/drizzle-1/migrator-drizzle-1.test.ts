import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inspectMigrations } from "drizzle-boot-migrator";
import { describe, expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_FOLDER, migratorSettingsFor } from "../support/database";
import {
  boot045,
  copyFolder,
  drizzleKitUp,
  folderName1,
  ledgerRows,
  migrate1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import {
  emptyDatabasePerTest,
  eventually,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  migrationLockHolders,
  noTransactionMigration,
  tableExists,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

// The package on drizzle-orm 1.0: every migrator here is a real process of the package's CLI whose
// drizzle-orm is 1.0.0-rc.5 (test/support/drizzle-1/), so the adapter is the one it picks from
// the installed version. The 0.45 ledgers they meet are made by the same package on 0.45.
requireDrizzle1();
const db = emptyDatabasePerTest();

const applied = (output: string, migration: FixtureMigration) =>
  output.includes(`[migrate] ran ${folderName1(migration)} `);

describe("drizzle-orm 1.0: a folder per migration", () => {
  const migrations = [0, 1, 2].map((n) => fixtureMigration(n));

  it("applies a 1.0 folder, recording each migration by name; a second run changes nothing", async () => {
    const folder = writeMigrationFolder1(migrations);
    const first = await migrate1(db.url, folder);
    expect(first.code, first.output).toBe(0);
    for (const migration of migrations) expect(applied(first.output, migration)).toBe(true);
    const rows = await ledgerRows(db.url);
    expect(rows.map((row) => [row.name, Number(row.created_at)])).toEqual(
      migrations.map((m) => [folderName1(m), m.when]),
    );
    expect(rows.every((row) => row.applied_at)).toBe(true);

    const second = await migrate1(db.url, folder);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toMatch(/is up to date at \d{14}_step-2/);
    expect(second.output).not.toMatch(/\[migrate\] ran /);
    expect(await ledgerRows(db.url)).toEqual(rows);
  });

  it("refuses an applied migration that was edited, by name, and writes nothing", async () => {
    const folder = writeMigrationFolder1(migrations.slice(0, 2));
    expect((await migrate1(db.url, folder)).code).toBe(0);
    const edited = path.join(
      folder,
      folderName1(migrations[1] as FixtureMigration),
      "migration.sql",
    );
    writeFileSync(edited, "create table step_1 (id bigint)");
    const before = await ledgerRows(db.url);
    const run = await migrate1(db.url, folder);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("failed (CHECKSUM_MISMATCH)");
    expect(run.output).toContain(
      `Migration ${folderName1(migrations[1] as FixtureMigration)} was changed`,
    );
    expect(await ledgerRows(db.url)).toEqual(before);
  });

  it("applies an older migration merged after a newer one was applied, and says so", async () => {
    const [m0, m1, m2] = migrations as [FixtureMigration, FixtureMigration, FixtureMigration];
    const folder = writeMigrationFolder1([m0, m2]);
    expect((await migrate1(db.url, folder)).code).toBe(0);
    writeMigrationFolder1([m0, m1, m2], folder);
    const run = await migrate1(db.url, folder);
    expect(run.code, run.output).toBe(0);
    expect(applied(run.output, m1)).toBe(true);
    expect(run.output).toContain(
      `Migration ${folderName1(m1)} is pending but older than ${folderName1(m2)}`,
    );
    expect(await tableExists(db.url, "step_1")).toBe(true);
    expect((await ledgerRows(db.url)).map((row) => row.name)).toEqual(
      [m0, m2, m1].map(folderName1),
    );
  });
});

describe("drizzle-orm 1.0 on a 0.45 ledger", () => {
  /** Applied by 0.45 first; the 1.0 release then brings `next` as well. */
  const old = [0, 1].map((n) => fixtureMigration(n));
  // Slow enough that the 8 boots below overlap while one of them holds the lock.
  const next = fixtureMigration(2, ["create table step_2 (id int)", "select pg_sleep(1)"]);

  it("8 concurrent 1.0 boots: one upgrades the ledger and applies the new migration, once; no error, no lock left", async () => {
    await applyMigrations(db.url, writeMigrationFolder(old));
    const before = await ledgerRows(db.url);
    expect(before.every((row) => !("name" in row))).toBe(true);

    const folder = writeMigrationFolder1([...old, next]);
    const runs = await Promise.all(Array.from({ length: 8 }, () => migrate1(db.url, folder)));
    for (const run of runs) {
      expect(run.code, run.output).toBe(0);
      expect(run.output).not.toMatch(/error|failed/i);
    }
    const upgraded = runs.filter((run) => run.output.includes("upgraded the ledger"));
    expect(upgraded, "processes that upgraded the ledger").toHaveLength(1);
    expect(upgraded[0]?.output).toContain("2 row(s) named");
    expect(runs.filter((run) => applied(run.output, next))).toHaveLength(1);
    expect(runs.filter((run) => applied(run.output, old[0] as FixtureMigration))).toHaveLength(0);

    const rows = await ledgerRows(db.url);
    expect(rows.map((row) => [row.id, row.hash, Number(row.created_at)])).toEqual([
      ...before.map((row) => [row.id, row.hash, Number(row.created_at)]),
      [3, expect.any(String), next.when],
    ]);
    expect(rows.map((row) => row.name)).toEqual([...old, next].map(folderName1));
    // The upgrade leaves applied_at NULL on the rows it named; drizzle fills it on new rows.
    expect(rows.map((row) => row.applied_at === null)).toEqual([true, true, false]);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });

  it("refuses a ledger row that matches no local migration before writing anything, naming the row", async () => {
    await applyMigrations(db.url, writeMigrationFolder(old));
    await withSql(db.url, (sql) =>
      sql`insert into drizzle.__drizzle_migrations (hash, created_at)
          values ('0ddba11', ${FIXTURE_T0 + 60_000})`.then(() => undefined),
    );
    const before = await ledgerRows(db.url);

    const run = await migrate1(db.url, writeMigrationFolder1([...old, next]));
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("failed (LEDGER_UNMATCHED)");
    expect(run.output).toContain("ledger id 3 (created_at 1700000060000");
    expect(run.output).toContain('delete from "drizzle"."__drizzle_migrations" where id = 3');
    expect(await ledgerRows(db.url)).toEqual(before);
    expect(await tableExists(db.url, "step_2")).toBe(false);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });

  it("upgrades a ledger kept elsewhere (schema and table settings) there, and leaves the default alone", async () => {
    const ledger = { schema: "app ledger", table: "app_migrations" };
    const oldFolder = writeMigrationFolder(old);
    const args = ["--migrations-schema", ledger.schema, "--migrations-table", ledger.table];
    const first = await migrate1(db.url, oldFolder, { args, drizzle: "0.45" });
    expect(first.code, first.output).toBe(0);

    const run = await migrate1(db.url, writeMigrationFolder1([...old, next]), { args });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('upgraded the ledger "app ledger"."app_migrations"');
    expect((await ledgerRows(db.url, ledger)).map((row) => row.name)).toEqual(
      [...old, next].map(folderName1),
    );
    expect(await ledgerRows(db.url)).toEqual([]);
  });
});

describe("drizzle-orm 1.0: a -- no-transaction migration first on a 0.45 ledger", () => {
  it("upgrades the ledger first, then runs the migration outside a transaction and records it by name", async () => {
    const m0 = fixtureMigration(0);
    await applyMigrations(db.url, writeMigrationFolder([m0]));
    const index = noTransactionMigration(1, [
      "create index concurrently if not exists step_0_id_idx on step_0 (id)",
    ]);

    const run = await migrate1(db.url, writeMigrationFolder1([m0, index]));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("1 row(s) named");
    expect(run.output).toContain(`ran ${folderName1(index)} outside a transaction`);
    expect(run.output.indexOf("upgraded the ledger")).toBeLessThan(
      run.output.indexOf(`ran ${folderName1(index)}`),
    );
    expect((await ledgerRows(db.url)).map((row) => row.name)).toEqual([m0, index].map(folderName1));
    const [built] = await withSql(
      db.url,
      (sql) =>
        sql<{ valid: boolean }[]>`
        select indisvalid as valid from pg_index
        where indexrelid = to_regclass('public.step_0_id_idx')`,
    );
    expect(built?.valid).toBe(true);
  });
});

describe("a rolling deploy from 0.45 to 1.0", () => {
  const old = [0, 1].map((n) => fixtureMigration(n));
  const next = fixtureMigration(2);

  it("a 0.45 instance on a ledger 1.0 upgraded and advanced boots, reports it ahead, and applies nothing", async () => {
    await applyMigrations(db.url, writeMigrationFolder(old));
    expect((await migrate1(db.url, writeMigrationFolder1([...old, next]))).code).toBe(0);
    const upgraded = await ledgerRows(db.url);

    // What a 0.45 release's health reads: its own migrations applied, one more it lacks.
    const status = await inspectMigrations({
      ...migratorSettingsFor(db.url, writeMigrationFolder(old)),
      allowUnknownApplied: true,
    });
    expect(status).toMatchObject({ version: "0001_step-1", pending: [], problems: [] });
    expect(status.unknown.map((row) => row.name)).toEqual([folderName1(next)]);

    // A 0.45 release booting during the deploy (it accepts a newer schema, as the docs say to).
    const boot = await boot045(db.url, old, { MIGRATION_ALLOW_UNKNOWN_APPLIED: "true" });
    expect(boot.code, boot.output).toBe(0);
    expect(boot.output).toContain("boot: migrations done");
    expect(boot.output).not.toMatch(/\[migrate\] ran /);
    expect(await ledgerRows(db.url)).toEqual(upgraded);
  });

  it("a 1.0 instance that boots while a 0.45 instance holds the lock waits, then upgrades the ledger and applies only its own", async () => {
    await applyMigrations(db.url, writeMigrationFolder([old[0] as FixtureMigration]));
    // The 0.45 release's pending migration holds the lock for a while.
    const slow = fixtureMigration(1, ["create table step_1 (id int)", "select pg_sleep(2)"]);
    const previous = migrate1(db.url, writeMigrationFolder([old[0] as FixtureMigration, slow]), {
      drizzle: "0.45",
    });
    await eventually("the 0.45 instance holds the migration lock", async () =>
      (await migrationLockHolders(db.url)).some((holder) => holder.granted),
    );
    const newer = migrate1(db.url, writeMigrationFolder1([old[0] as FixtureMigration, slow, next]));
    const [ran045, ran1] = await Promise.all([previous, newer]);

    expect(ran045.code, ran045.output).toBe(0);
    expect(ran045.output).toContain("[migrate] ran 0001_step-1 ");
    expect(ran1.code, ran1.output).toBe(0);
    expect(ran1.output).toContain("waiting for the migration lock");
    expect(ran1.output).toContain("upgraded the ledger");
    expect(ran1.output).toContain("2 row(s) named");
    expect(applied(ran1.output, slow)).toBe(false);
    expect(applied(ran1.output, next)).toBe(true);
    expect((await ledgerRows(db.url)).map((row) => row.name)).toEqual(
      [old[0] as FixtureMigration, slow, next].map(folderName1),
    );
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});

describe("the upgrade guide, on a copy of this repository's drizzle/", () => {
  const journalOf = (folder: string) => path.join(folder, "meta", "_journal.json");
  const readJournal = (folder: string) =>
    JSON.parse(readFileSync(journalOf(folder), "utf8")) as { entries: FixtureMigration[] };

  /**
   * docs/upgrading-drizzle.md's steps on a database that the app's release on 0.45 migrated
   * from `folder`: `drizzle-kit up`, then the new release boots.
   */
  async function upgradeAndBoot(folder: string) {
    const up = await drizzleKitUp(folder);
    expect(up.code, up.output).toBe(0);
    expect(existsSync(path.join(folder, "meta"))).toBe(false);
    const boot = await migrate1(db.url, folder);
    expect(boot.code, boot.output).toBe(0);
    expect(boot.output).not.toMatch(/\[migrate\] ran /);
    const names = readdirSync(folder).sort();
    expect(boot.output).toContain(`${names.length} row(s) named`);
    expect((await ledgerRows(db.url)).map((row) => row.name)).toEqual(names);
    const again = await migrate1(db.url, folder);
    expect(again.output).toContain(`is up to date at ${names.at(-1)}`);
  }

  it("drizzle-kit up, then the 1.0 release boots: the ledger is upgraded, nothing runs again", async () => {
    const folder = copyFolder(MIGRATIONS_FOLDER);
    await applyMigrations(db.url, folder);
    await upgradeAndBoot(folder);
  });

  it("a hand-edited journal: drizzle-kit up refuses it, the guide's fix gets through, and the ledger still matches", async () => {
    const folder = copyFolder(MIGRATIONS_FOLDER);
    const journal = readJournal(folder);
    const [, parent, edited] = journal.entries as [
      FixtureMigration,
      FixtureMigration,
      FixtureMigration,
    ];
    // A hand edit that puts a migration a minute before the one it was generated after.
    edited.when = parent.when - 60_000;
    writeFileSync(journalOf(folder), JSON.stringify(journal, null, 2));
    await applyMigrations(db.url, folder);

    const refused = await drizzleKitUp(folder);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      `set \`when\` of ${edited.tag} to a time at least one second after \`when\` of ${parent.tag}`,
    );
    expect(existsSync(journalOf(folder))).toBe(true);

    // The fix the guide gives; the ledger keeps the old `when`, so the upgrade matches the row
    // by its hash.
    edited.when = parent.when + 1_000;
    writeFileSync(journalOf(folder), JSON.stringify(journal, null, 2));
    await upgradeAndBoot(folder);
  });
});
