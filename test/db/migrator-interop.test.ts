import path from "node:path";
import { DRIZZLE_LEDGER, type LedgerLocation, readJournal } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";
import {
  drizzleKitMigrate,
  emptyDatabasePerTest,
  FIXTURE_T0,
  fixtureMigration,
  ledgerWhens,
  noTransactionMigration,
  runMigratorCli,
  schemaExists,
  startBoot,
  tableExists,
  writeBootDirectory,
  writeMigrationFolder,
} from "../support/migrator";
import type { ProcessResult } from "../support/processes";

const realJournal = readJournal(MIGRATIONS_FOLDER);
const realWhens = realJournal.entries.map((entry) => entry.when);
const lastRealTag = realJournal.entries.at(-1)?.tag;

const db = emptyDatabasePerTest();

/** A ledger whose schema and table both need quoting: upper case, a space, a double quote. */
const customLedger: LedgerLocation = { schema: "App Ledger", table: 'app "migrations"' };
const ledgerFlags = [
  "--migrations-schema",
  customLedger.schema,
  "--migrations-table",
  customLedger.table,
];

describe("the real drizzle/ folder", () => {
  it("is applied by db:migrate on an empty database, after which drizzle-kit migrate is a no-op", async () => {
    const ours = await runMigratorCli("migrate", { url: db.url });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.stdout).toContain(`is at ${lastRealTag}`);
    for (const table of ["users", "sessions", "tenants", "memberships", "report_weeks"]) {
      expect(await tableExists(db.url, table), table).toBe(true);
    }
    expect(await ledgerWhens(db.url)).toEqual(realWhens);

    const kit = await drizzleKitMigrate(db.url);
    expect(kit.code, kit.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(realWhens);
  });

  it("applied by drizzle-kit migrate first leaves db:migrate nothing to do", async () => {
    const kit = await drizzleKitMigrate(db.url);
    expect(kit.code, kit.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(realWhens);

    const ours = await runMigratorCli("migrate", { url: db.url });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.output.trim().split("\n")).toHaveLength(1);
    expect(ours.stdout).toContain(`is up to date at ${lastRealTag}`);
    expect(await ledgerWhens(db.url)).toEqual(realWhens);
  });
});

describe("taking turns with drizzle-kit migrate on the same folder", () => {
  const step = fixtureMigration;

  it("each applies only what the other has not", async () => {
    const folder = writeMigrationFolder([step(0)]);
    expect((await drizzleKitMigrate(db.url, folder)).code).toBe(0);

    writeMigrationFolder([step(0), step(1)], folder);
    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.stdout).toContain("1 of 2 migrations pending (0001_step-1)");
    expect(ours.stdout).not.toContain("ran 0000_step-0");

    writeMigrationFolder([step(0), step(1), step(2)], folder);
    expect((await drizzleKitMigrate(db.url, folder)).code).toBe(0);

    const status = await runMigratorCli("status", { url: db.url, folder });
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toMatch(/applied \(3\):[\s\S]*pending \(0\):\nproblems \(0\):/);
    expect(await ledgerWhens(db.url)).toEqual([FIXTURE_T0, FIXTURE_T0 + 1000, FIXTURE_T0 + 2000]);
    expect(await tableExists(db.url, "step_2")).toBe(true);
  });
});

describe("a -- no-transaction migration and drizzle-kit migrate", () => {
  const step = fixtureMigration;

  it("drizzle-kit migrate cannot apply a CONCURRENTLY file and records nothing; db:migrate does, after which drizzle-kit migrate is a no-op", async () => {
    const migrations = [
      step(0),
      noTransactionMigration(1, [
        "create index concurrently if not exists step_0_idx on step_0 (id)",
      ]),
      step(2),
    ];
    const folder = writeMigrationFolder(migrations);
    const kit = () => drizzleKitMigrate(db.url, folder);

    const kitFirst = await kit();
    expect(kitFirst.code, kitFirst.output).not.toBe(0);
    expect(await ledgerWhens(db.url)).toEqual([]);
    expect(await tableExists(db.url, "step_0")).toBe(false);

    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(0);
    const whens = migrations.map((migration) => migration.when);
    expect(await ledgerWhens(db.url)).toEqual(whens);

    const kitAfter = await kit();
    expect(kitAfter.code, kitAfter.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(whens);
  });

  it("a file drizzle-kit migrate can apply (a new enum value nobody uses yet) leaves db:migrate nothing to do", async () => {
    const migrations = [
      step(0, ["create type step_status as enum ('draft')"]),
      noTransactionMigration(1, ["alter type step_status add value if not exists 'sent'"]),
    ];
    const folder = writeMigrationFolder(migrations);

    const kit = await drizzleKitMigrate(db.url, folder);
    expect(kit.code, kit.output).toBe(0);
    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.stdout).toContain(`is up to date at ${migrations[1]?.tag}`);
    expect(await ledgerWhens(db.url)).toEqual(migrations.map((migration) => migration.when));
  });
});

describe("a ledger in another schema and table (migrations.schema / migrations.table)", () => {
  const step = fixtureMigration;
  const ledger = customLedger;
  const migrations = [step(0), step(1)];
  const whens = migrations.map((migration) => migration.when);

  /** db:migrate with the ledger flags; it must succeed. */
  async function ours(folder: string): Promise<ProcessResult> {
    const run = await runMigratorCli("migrate", { url: db.url, folder, args: ledgerFlags });
    expect(run.code, run.output).toBe(0);
    return run;
  }

  /** drizzle-kit migrate with the ledger in its config; the ledger then records `migrations`. */
  async function kit(folder: string): Promise<void> {
    const run = await drizzleKitMigrate(db.url, folder, ledger);
    expect(run.code, run.output).toBe(0);
    expect(await ledgerWhens(db.url, ledger)).toEqual(whens);
  }

  it("drizzle-kit migrate first, then db:migrate with the same setting is a no-op", async () => {
    const folder = writeMigrationFolder(migrations);
    await kit(folder);
    expect((await ours(folder)).stdout).toContain(`is up to date at ${migrations[1]?.tag}`);
    expect(await ledgerWhens(db.url, ledger)).toEqual(whens);
    expect(await ledgerWhens(db.url)).toEqual([]);

    const status = await runMigratorCli("status", { url: db.url, folder, args: ledgerFlags });
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain('ledger:   "App Ledger"."app ""migrations"""');
    expect(status.stdout).toMatch(/applied \(2\):[\s\S]*pending \(0\):\nproblems \(0\):/);
  });

  it("db:migrate first, then drizzle-kit migrate with the same setting is a no-op", async () => {
    const folder = writeMigrationFolder(migrations);
    expect((await ours(folder)).stdout).toContain("ran 0001_step-1");
    expect(await ledgerWhens(db.url, ledger)).toEqual(whens);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);

    await kit(folder);
    expect((await ours(folder)).stdout).toContain(`is up to date at ${migrations[1]?.tag}`);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
  });

  it("a -- no-transaction migration is recorded in that ledger too", async () => {
    const withIndex = [
      step(0),
      noTransactionMigration(1, [
        "create index concurrently if not exists step_0_idx on step_0 (id)",
      ]),
    ];
    await ours(writeMigrationFolder(withIndex));
    expect(await ledgerWhens(db.url, ledger)).toEqual(withIndex.map((m) => m.when));
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
  });
});

describe("a database migrated with another ledger setting (LEDGER_ELSEWHERE)", () => {
  // Idempotent, as many hand-written migrations are: only the guard stops a second apply.
  const idempotent = [0, 1, 2].map((n) =>
    fixtureMigration(n, [`create table if not exists step_${n} (id int)`]),
  );
  const whens = idempotent.map((migration) => migration.when);
  const defaultName = '"drizzle"."__drizzle_migrations"';
  const customName = '"App Ledger"."app ""migrations"""';

  /** db:migrate and db:status both refuse, naming both ledgers and the setting; nothing written. */
  async function expectRefused(folder: string, args: string[], ours: string, theirs: string) {
    const migrate = await runMigratorCli("migrate", { url: db.url, folder, args });
    expect(migrate.code, migrate.output).toBe(1);
    expect(migrate.stderr).toContain("failed (LEDGER_ELSEWHERE)");
    expect(migrate.stderr).toContain(
      `The ledger is set to ${ours}, which records no migration, but ${theirs} records 3 of ` +
        "the 3 migrations of this folder (0000_step-0, 0001_step-1, 0002_step-2)",
    );
    expect(migrate.stderr).toContain("migrations.schema");
    // The package's words, for any project: no path of the app it was first written for.
    expect(migrate.stderr).not.toContain("src/lib/db");
    expect(migrate.stderr).toContain(
      "https://www.npmjs.com/package/drizzle-boot-migrator#ledger_elsewhere",
    );
    const status = await runMigratorCli("status", { url: db.url, folder, args });
    expect(status.code, status.output).toBe(1);
    expect(status.stdout).toContain("✗ LEDGER_ELSEWHERE");
  }

  it("a custom ledger in the database and the default in the settings", async () => {
    const folder = writeMigrationFolder(idempotent);
    const kit = await drizzleKitMigrate(db.url, folder, customLedger);
    expect(kit.code, kit.output).toBe(0);

    await expectRefused(folder, [], defaultName, customName);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
    expect(await ledgerWhens(db.url, customLedger)).toEqual(whens);

    // With the setting the message names, it is up to date.
    const fixed = await runMigratorCli("migrate", { url: db.url, folder, args: ledgerFlags });
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.stdout).toContain("is up to date at 0002_step-2");
  });

  it("the default ledger in the database and a custom one in the settings", async () => {
    const folder = writeMigrationFolder(idempotent);
    const kit = await drizzleKitMigrate(db.url, folder);
    expect(kit.code, kit.output).toBe(0);

    await expectRefused(folder, ledgerFlags, customName, defaultName);
    expect(await schemaExists(db.url, customLedger.schema)).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual(whens);
  });

  it("a booting server refuses too, also when it only checks (MIGRATE_ON_BOOT=false)", async () => {
    const dir = writeBootDirectory(idempotent);
    const kit = await drizzleKitMigrate(db.url, path.join(dir, "drizzle"), customLedger);
    expect(kit.code, kit.output).toBe(0);

    for (const env of [{}, { MIGRATE_ON_BOOT: "false" }] as Record<string, string>[]) {
      const boot = await startBoot(db.url, dir, env).exited;
      expect(boot.code, boot.output).toBe(1);
      expect(boot.stderr).toContain(
        `failed (LEDGER_ELSEWHERE): The ledger is set to ${defaultName}`,
      );
    }
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
  });

  it("a ledger of another migration set does not count: only rows with a file's hash and when", async () => {
    const upstream = writeMigrationFolder([fixtureMigration(0)]);
    const kit = await drizzleKitMigrate(db.url, upstream);
    expect(kit.code, kit.output).toBe(0);

    // Same file content as upstream's 0000 (so the same hash), but another `when`.
    const fork = writeMigrationFolder([{ ...fixtureMigration(0), when: FIXTURE_T0 + 500 }]);
    const ours = await runMigratorCli("migrate", { url: db.url, folder: fork, args: ledgerFlags });
    expect(ours.code, ours.output).toBe(1);
    expect(ours.stderr).toContain('relation "step_0" already exists');
  });
});

describe("a hand-edited journal: an entry earlier than the one before it", () => {
  // As in public folders: 0002's `when` was set before 0001's.
  const m0 = fixtureMigration(0, ["create table hand_0 (id int)"]);
  const m1 = fixtureMigration(1, ["create table hand_1 (id int)"]);
  const m2 = { ...fixtureMigration(2, ["create table hand_2 (id int)"]), when: FIXTURE_T0 + 500 };
  const whens = [m0.when, m1.when, m2.when];

  it("fresh: applied in full as drizzle-kit would, with a warning; drizzle-kit migrate is then a no-op", async () => {
    const folder = writeMigrationFolder([m0, m1, m2]);
    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.output).toContain(`${m2.tag} (when ${m2.when}`);
    expect(ours.output).toContain("but is earlier");
    expect(await ledgerWhens(db.url)).toEqual(whens);
    for (const table of ["hand_0", "hand_1", "hand_2"]) {
      expect(await tableExists(db.url, table), table).toBe(true);
    }
    const kit = await drizzleKitMigrate(db.url, folder);
    expect(kit.code, kit.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(whens);
  });

  it("migrated by drizzle-kit: nothing pending, up to date with a warning", async () => {
    const folder = writeMigrationFolder([m0, m1, m2]);
    const kit = await drizzleKitMigrate(db.url, folder);
    expect(kit.code, kit.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(whens);

    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(0);
    expect(ours.stdout).toContain(`is up to date at ${m2.tag}`);
    expect(ours.output).toContain("but is earlier");

    const status = await runMigratorCli("status", { url: db.url, folder });
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toMatch(
      /warnings \(1\):\n {2}! meta\/_journal.json is out of order: 0002_step-2/,
    );
    expect(status.stdout).toContain("problems (0):");
  });

  it("stopped by drizzle-kit before the earlier entry arrived: refused, as drizzle-kit would skip it", async () => {
    const folder = writeMigrationFolder([m0, m1]);
    expect((await drizzleKitMigrate(db.url, folder)).code).toBe(0);
    writeMigrationFolder([m0, m1, m2], folder);

    const ours = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ours.code, ours.output).toBe(1);
    expect(ours.stderr).toContain("OUT_OF_ORDER");
    expect(ours.stderr).toContain(`Migration ${m2.tag}`);
    expect(await tableExists(db.url, "hand_2")).toBe(false);

    // What drizzle-kit does: exit 0, and the migration is skipped for ever.
    const kit = await drizzleKitMigrate(db.url, folder);
    expect(kit.code, kit.output).toBe(0);
    expect(await tableExists(db.url, "hand_2")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual([m0.when, m1.when]);
  });
});
