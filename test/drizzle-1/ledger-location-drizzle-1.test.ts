import path from "node:path";
import { DRIZZLE_LEDGER, type LedgerLocation } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import {
  drizzleKitMigrate1,
  folderName1,
  type LedgerRow1,
  ledgerRows,
  migrate1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import { forkMigrations, upstreamMigrations } from "../support/migration-sets";
import {
  drizzleKitMigrate,
  emptyDatabasePerTest,
  type FixtureMigration,
  fixtureMigration,
  migrationLockHolders,
  schemaExists,
  writeMigrationFolder,
} from "../support/migrator";
import type { ProcessResult } from "../support/processes";

// Where the ledger is (migrations.schema / migrations.table), on drizzle-orm 1.0: every migrator
// is a real process of the package's CLI on drizzle-orm 1.0.0-rc.5, and drizzle-kit 1.0's own
// `migrate` is on the other side.
requireDrizzle1();
const db = emptyDatabasePerTest();

/** A ledger whose schema and table both need quoting: upper case, a space, a double quote. */
const customLedger: LedgerLocation = { schema: "App Ledger", table: 'app "migrations"' };
const customName = '"App Ledger"."app ""migrations"""';
const defaultName = '"drizzle"."__drizzle_migrations"';
const ledgerFlags = [
  "--migrations-schema",
  customLedger.schema,
  "--migrations-table",
  customLedger.table,
];

const namesOf = (rows: LedgerRow1[]) => rows.map((row) => row.name);
const ran = (run: ProcessResult, migration: FixtureMigration) =>
  run.stdout.includes(`ran ${folderName1(migration)} `);

/** Our CLI on drizzle 1.0 with `args`; it must succeed. */
async function ours(folder: string, args: string[] = ledgerFlags): Promise<ProcessResult> {
  const run = await migrate1(db.url, folder, { args });
  expect(run.code, run.output).toBe(0);
  return run;
}

/** drizzle-kit 1.0's own migrate with `ledger` in its config; it must succeed. */
async function kit(folder: string, ledger?: LedgerLocation): Promise<void> {
  const run = await drizzleKitMigrate1(db.url, folder, ledger);
  expect(run.code, run.output).toBe(0);
}

describe("drizzle-orm 1.0: a ledger in a schema and table that need quoting", () => {
  const migrations = [0, 1].map((n) => fixtureMigration(n));
  const names = migrations.map(folderName1);

  it("drizzle-kit 1.0 migrate first, then ours with the same setting: a no-op", async () => {
    const folder = writeMigrationFolder1(migrations);
    await kit(folder, customLedger);
    const rows = await ledgerRows(db.url, customLedger);
    expect(namesOf(rows)).toEqual(names);

    const run = await ours(folder);
    expect(run.stdout).toContain(`is up to date at ${names[1]}`);
    expect(run.stdout).not.toMatch(/\bran /);
    expect(await ledgerRows(db.url, customLedger)).toEqual(rows);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);

    const status = await migrate1(db.url, folder, { args: ledgerFlags, command: "status" });
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain(`(ledger ${customName}): `);
    expect(status.stdout).toContain(`at ${names[1]}, 0 of 2 pending`);
  });

  it("ours first, then drizzle-kit 1.0 migrate with the same setting: a no-op", async () => {
    const folder = writeMigrationFolder1(migrations);
    const first = await ours(folder);
    for (const migration of migrations) expect(ran(first, migration)).toBe(true);
    const rows = await ledgerRows(db.url, customLedger);
    expect(namesOf(rows)).toEqual(names);
    expect(rows.every((row) => row.applied_at)).toBe(true);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);

    // The fixtures' `create table` fails if run again, so a 0 exit is a no-op, and so is the ledger.
    await kit(folder, customLedger);
    expect(await ledgerRows(db.url, customLedger)).toEqual(rows);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
    expect((await ours(folder)).stdout).toContain(`is up to date at ${names[1]}`);
  });
});

describe("drizzle-orm 1.0: two migration sets in one database (an upstream folder, then a fork's)", () => {
  it("4 boots at once apply each set once, in order, each into its own ledger; status and drizzle-kit 1.0 agree", async () => {
    const upstreamNames = upstreamMigrations.map(folderName1);
    const forkNames = forkMigrations.map(folderName1);
    const upstream = {
      folder: writeMigrationFolder1(upstreamMigrations),
      ledger: { schema: "Upstream Set", table: "__drizzle_migrations" },
    };
    const fork = { folder: writeMigrationFolder1(forkMigrations), ledger: DRIZZLE_LEDGER };
    const args = [
      ...["--migrations-schema", upstream.ledger.schema],
      ...["--migrations-folder", fork.folder, "--migrations-schema", fork.ledger.schema],
    ];

    const boots = await Promise.all(
      Array.from({ length: 4 }, () => migrate1(db.url, upstream.folder, { args })),
    );

    for (const boot of boots) expect(boot.code, boot.output).toBe(0);
    for (const migration of [...upstreamMigrations, ...forkMigrations]) {
      const applied = boots.filter((boot) => ran(boot, migration));
      expect(applied, `boots that ran ${folderName1(migration)}`).toHaveLength(1);
    }
    expect(namesOf(await ledgerRows(db.url, upstream.ledger))).toEqual(upstreamNames);
    expect(namesOf(await ledgerRows(db.url))).toEqual(forkNames);
    expect(await migrationLockHolders(db.url)).toEqual([]);

    const status = await migrate1(db.url, upstream.folder, { args, command: "status" });
    expect(status.code, status.output).toBe(0);
    // One line per set, in order: its folder, its ledger, its version.
    const lines = status.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      `${path.basename(upstream.folder)} (ledger "Upstream Set"."__drizzle_migrations"): `,
    );
    expect(lines[0]).toContain(`at ${upstreamNames[1]}, 0 of 2 pending`);
    expect(lines[1]).toContain(`${path.basename(fork.folder)} (ledger ${defaultName}): `);
    expect(lines[1]).toContain(`at ${forkNames[0]}, 0 of 1 pending`);

    // drizzle-kit 1.0, given each set's ledger, finds nothing to do.
    const before = [await ledgerRows(db.url, upstream.ledger), await ledgerRows(db.url)];
    await kit(upstream.folder, upstream.ledger);
    await kit(fork.folder);
    expect([await ledgerRows(db.url, upstream.ledger), await ledgerRows(db.url)]).toEqual(before);
  });
});

describe("drizzle-orm 1.0: a database migrated with another ledger setting (LEDGER_ELSEWHERE)", () => {
  // Idempotent, as many hand-written migrations are: only the guard stops a second apply.
  const idempotent = [0, 1, 2].map((n) =>
    fixtureMigration(n, [`create table if not exists step_${n} (id int)`]),
  );
  const names = idempotent.map(folderName1);

  /**
   * migrate and status both refuse, naming both ledgers, the `recorded` migrations and the
   * setting; nothing written.
   */
  async function expectRefused(
    folder: string,
    args: string[],
    ledgers: [string, string],
    recorded: string[] = names,
  ) {
    const [set, found] = ledgers;
    const migrate = await migrate1(db.url, folder, { args });
    expect(migrate.code, migrate.output).toBe(1);
    expect(migrate.stderr).toContain("failed (LEDGER_ELSEWHERE)");
    expect(migrate.stderr).toContain(
      `The ledger is set to ${set}, which records no migration, but ${found} records ` +
        `${recorded.length} of the ${recorded.length} migrations of this folder (${recorded.join(", ")})`,
    );
    expect(migrate.stderr).toContain("migrations.schema");
    expect(migrate.stderr).toContain("--migrations-schema and --migrations-table");
    expect(migrate.stdout).not.toMatch(/\bran /);
    const status = await migrate1(db.url, folder, { args, command: "status" });
    expect(status.code, status.output).toBe(1);
    expect(status.stdout).toContain(`LEDGER_ELSEWHERE: The ledger is set to ${set}`);
  }

  it("a custom ledger in the database and the default in the settings", async () => {
    const folder = writeMigrationFolder1(idempotent);
    await kit(folder, customLedger);
    const rows = await ledgerRows(db.url, customLedger);

    await expectRefused(folder, [], [defaultName, customName]);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
    expect(await ledgerRows(db.url, customLedger)).toEqual(rows);

    // With the setting the message names, it is up to date.
    expect((await ours(folder)).stdout).toContain(`is up to date at ${names[2]}`);
  });

  it("the default ledger in the database and a custom one in the settings", async () => {
    const folder = writeMigrationFolder1(idempotent);
    await kit(folder);
    const rows = await ledgerRows(db.url);

    await expectRefused(folder, ledgerFlags, [customName, defaultName]);
    expect(await schemaExists(db.url, customLedger.schema)).toBe(false);
    expect(await ledgerRows(db.url)).toEqual(rows);
  });

  it("a ledger upgraded from 0.45 whose row keeps a hand-edited `when`: the row counts by its name", async () => {
    // docs/upgrading-drizzle.md's path through a hand-edited journal: the 0.45 ledger keeps the
    // edited entry's old `when`, its folder is named after the fixed one (what drizzle-kit up
    // writes), and 1.0's upgrade names the row by its hash. Its created_at is not its folder's.
    const [m0, parent, edited] = idempotent as [
      FixtureMigration,
      FixtureMigration,
      FixtureMigration,
    ];
    const handEdited = { ...edited, when: parent.when - 60_000 };
    const old = await drizzleKitMigrate(
      db.url,
      writeMigrationFolder([m0, parent, handEdited]),
      customLedger,
    );
    expect(old.code, old.output).toBe(0);
    const folder = writeMigrationFolder1(idempotent);
    await kit(folder, customLedger);
    const rows = await ledgerRows(db.url, customLedger);
    expect(namesOf(rows)).toEqual(names);
    expect(Number(rows[2]?.created_at)).toBe(handEdited.when);

    await expectRefused(folder, [], [defaultName, customName]);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
    expect(await ledgerRows(db.url, customLedger)).toEqual(rows);
  });

  it("a row 1.0's upgrade named by its hash is the only record: refused, not applied again", async () => {
    // The journal's `when` changed after the migration was applied with 0.45, so its folder's
    // time is not the row's; 1.0's upgrade still names the row, by its hash.
    const [m0] = idempotent as [FixtureMigration];
    const old = await drizzleKitMigrate(
      db.url,
      writeMigrationFolder([{ ...m0, when: m0.when - 60_000 }]),
      customLedger,
    );
    expect(old.code, old.output).toBe(0);
    const folder = writeMigrationFolder1([m0]);
    await kit(folder, customLedger);
    const rows = await ledgerRows(db.url, customLedger);
    expect(rows.map((row) => [row.name, Number(row.created_at)])).toEqual([
      [folderName1(m0), m0.when - 60_000],
    ]);

    await expectRefused(folder, [], [defaultName, customName], [folderName1(m0)]);
    expect(await schemaExists(db.url, DRIZZLE_LEDGER.schema)).toBe(false);
    expect(await ledgerRows(db.url, customLedger)).toEqual(rows);
  });
});
