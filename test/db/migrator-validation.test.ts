import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { errorLink } from "drizzle-boot-migrator";
import { DRIZZLE_LEDGER, migrationSqlFiles, readJournal } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../support/database";
import { TEST_DRIZZLE } from "../support/drizzle-version";
import {
  drizzleKitGenerate,
  emptyDatabasePerTest,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  migrationFile,
  migrationLockHolders,
  migrationName,
  noTransactionMigration,
  recordedWhen,
  runMigratorCli,
  startBoot,
  tableExists,
  withSql,
  writeBootDirectory,
  writeMigrationFolder,
} from "../support/migrator";
import { onlyWhere } from "../support/system-tools";

const migration = fixtureMigration;
const m0 = migration(0, ["create table first_table (id int primary key)"]);
const m1 = migration(1, ["create table second_table (id int primary key)"]);
const m2 = migration(2, ["create table third_table (id int primary key)"]);

const db = emptyDatabasePerTest();

// Each test runs on this run's drizzle-orm (TEST_DRIZZLE; the project drizzle-1-suite runs this
// file on 1.0), its folder in that drizzle's layout. The rules that exist because of 0.45's journal
// and watermark are skipped, named, on 1.0; where 1.0 has a rule of its own instead, its test is
// beside them, skipped, named, on 0.45.
/** Options for a test of a rule of drizzle-orm 0.45's journal or watermark. */
const only045 = (why: string) =>
  onlyWhere(TEST_DRIZZLE === "0.45", `does not apply on drizzle-orm 1.0: ${why}`);
/** Options for a test of drizzle-orm 1.0's counterpart of a 0.45 rule. */
const only1 = (why: string) =>
  onlyWhere(TEST_DRIZZLE === "1", `does not apply on drizzle-orm 0.45: ${why}`);
/** The ledger's `created_at` values for `migrations`, as this run's drizzle records them. */
const recorded = (...migrations: FixtureMigration[]) => migrations.map(recordedWhen);

/** `npm run db:migrate` on this test's database, with a folder of `migrations`. */
const migrate = (migrations: FixtureMigration[]) =>
  runMigratorCli("migrate", { url: db.url, folder: writeMigrationFolder(migrations) });

/**
 * A test's starting state: `folder` applied in this process, by the code path db:migrate and boot
 * share. What the CLI prints and exits with is checked where it is the subject; a process here
 * would only add a second of CPU to each test.
 */
async function appliedFolder(folder: string) {
  await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
}

const applied = (migrations: FixtureMigration[]) => appliedFolder(writeMigrationFolder(migrations));

/** `m0` applied, its ledger row's `column` then set to NULL by hand; then db:migrate of m0, m1. */
async function migrateOverLedgerWithout(column: "created_at" | "name") {
  await applied([m0]);
  await withSql(
    db.url,
    (sql) => sql`
      update ${sql(DRIZZLE_LEDGER.schema)}.${sql(DRIZZLE_LEDGER.table)} set ${sql(column)} = null`,
  );
  return migrate([m0, m1]);
}

describe("validation before anything is applied", () => {
  it("refuses an applied migration whose file changed, naming the file and both hashes", async () => {
    const folder = writeMigrationFolder([m0, m1]);
    await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
    const file = path.join(folder, migrationFile(m1));
    const original = readFileSync(file);
    writeFileSync(file, `${original}\n-- an innocent-looking edit\n`);
    const sha = (content: Buffer | string) => createHash("sha256").update(content).digest("hex");

    const refused = await runMigratorCli("migrate", { url: db.url, folder });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("CHECKSUM_MISMATCH");
    expect(refused.stderr).toContain(`Migration ${migrationName(m1)} was changed`);
    expect(refused.stderr).toContain(`Restore drizzle/${migrationFile(m1)}`);
    expect(refused.stderr).toContain(sha(original));
    expect(refused.stderr).toContain(sha(readFileSync(file)));

    const status = await runMigratorCli("status", { url: db.url, folder });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(
      new RegExp(`problems \\(1\\):\\n\\s+✗ CHECKSUM_MISMATCH: Migration ${migrationName(m1)} `),
    );
    expect(await ledgerWhens(db.url)).toEqual(recorded(m0, m1));
  });

  it("takes a CRLF checkout of applied migrations for the same files: no refusal, nothing reapplied", async () => {
    const m1Lines = migration(1, ["create table second_table (\n  id int primary key\n)"]);
    const folder = writeMigrationFolder([m0, m1Lines]);
    await applied([m0, m1Lines]);
    /** Rewrites every migration file of the folder as a checkout with `ending` would. */
    const checkOut = (ending: "\r\n" | "\n", edit = (text: string) => text) => {
      for (const name of migrationSqlFiles(folder, TEST_DRIZZLE)) {
        const file = path.join(folder, name);
        const lf = readFileSync(file, "utf8").replaceAll("\r\n", "\n");
        writeFileSync(file, edit(lf).replaceAll("\n", ending));
      }
    };
    const migrateFolder = async () => {
      const result = await runMigratorCli("migrate", { url: db.url, folder });
      return { ...result, ledger: await ledgerWhens(db.url) };
    };

    checkOut("\r\n");
    expect(readFileSync(path.join(folder, migrationFile(m1Lines)), "utf8")).toContain("\r\n");
    const crlf = await migrateFolder();
    expect(crlf.code, crlf.output).toBe(0);
    expect(crlf.stdout).toContain(`is up to date at ${migrationName(m1Lines)}`);
    expect(crlf.ledger).toEqual(recorded(m0, m1Lines));
    const status = await runMigratorCli("status", { url: db.url, folder });
    expect(status.code, status.output).toBe(0);

    // Applied from the CRLF checkout, then read from an LF one.
    writeMigrationFolder([m0, m1Lines, m2], folder);
    checkOut("\r\n");
    expect((await migrateFolder()).ledger).toEqual(recorded(m0, m1Lines, m2));
    checkOut("\n");
    const lf = await migrateFolder();
    expect(lf.code, lf.output).toBe(0);
    expect(lf.stdout).toContain(`is up to date at ${migrationName(m2)}`);

    // An edit is still an edit, whatever the line endings.
    checkOut("\r\n", (text) => `-- an innocent-looking edit\n${text}`);
    const edited = await migrateFolder();
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("CHECKSUM_MISMATCH");
  });

  it("refuses a database that records a migration the folder lacks, unless allowed", async () => {
    await applied([m0, m1]);
    const olderCode = writeMigrationFolder([m0]);

    const refused = await runMigratorCli("migrate", { url: db.url, folder: olderCode });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("UNKNOWN_APPLIED");
    expect(refused.stderr).toContain(`created_at ${recordedWhen(m1)}`);

    const allowed = await runMigratorCli("migrate", {
      url: db.url,
      folder: olderCode,
      env: { MIGRATION_ALLOW_UNKNOWN_APPLIED: "true" },
    });
    expect(allowed.code, allowed.output).toBe(0);
    expect(allowed.stdout).toContain(`is up to date at ${migrationName(m0)}`);
  });

  it(
    "refuses a pending migration older than the newest applied one, naming it",
    only045("no watermark: an older pending migration is applied with a warning (the next test)"),
    async () => {
      await applied([m0, m2]);
      const result = await migrate([m0, m1, m2]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("OUT_OF_ORDER");
      expect(result.stderr).toContain(`Migration ${m1.tag}`);
      expect(result.stderr).toContain(`newer one, ${m2.tag}`);
      expect(await tableExists(db.url, "second_table")).toBe(false);
    },
  );

  it(
    "applies a pending migration older than the newest applied one, with a warning naming both",
    only1("its watermark refuses it: OUT_OF_ORDER (the test before)"),
    async () => {
      await applied([m0, m2]);
      const result = await migrate([m0, m1, m2]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain(
        `Migration ${migrationName(m1)} is pending but older than ${migrationName(m2)}, which is applied`,
      );
      expect(await tableExists(db.url, "second_table")).toBe(true);
      expect(await ledgerWhens(db.url)).toEqual(recorded(m0, m2, m1));
    },
  );

  it(
    "refuses a journal where two entries have the same `when`",
    only045("no journal: a migration is its directory, named by its time and name"),
    async () => {
      const twin = { ...m1, when: m0.when };
      const result = await migrate([m0, twin]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("JOURNAL_ORDER");
      expect(result.stderr).toContain(
        `${m1.tag} has the same \`when\` as ${m0.tag} (when ${twin.when}`,
      );
      expect(await tableExists(db.url, "first_table")).toBe(false);
      expect(await ledgerWhens(db.url)).toEqual([]);
    },
  );

  it(
    "refuses an earlier entry that a -- no-transaction migration before it would make drizzle skip",
    only045("no journal and no watermark: migrations run in directory-name order, pending by name"),
    async () => {
      const index = noTransactionMigration(3, [
        "create index concurrently if not exists first_table_id_idx on first_table (id)",
      ]);
      const result = await migrate([m0, index, m2]);
      expect(result.code, result.output).toBe(1);
      expect(result.stderr).toContain("JOURNAL_ORDER");
      expect(result.stderr).toContain(
        `Migration ${m2.tag} (when ${new Date(m2.when).toISOString()}) would be skipped`,
      );
      expect(await tableExists(db.url, "first_table")).toBe(false);
      expect(await ledgerWhens(db.url)).toEqual([]);
    },
  );

  it("refuses CONCURRENTLY in a pending migration, and applies none of the batch", async () => {
    await applied([m0]);
    const concurrently = migration(2, [
      "create index concurrently second_table_id_idx on second_table (id)",
    ]);
    const result = await migrate([m0, m1, concurrently]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CONCURRENTLY");
    expect(result.stderr).toContain(`Migration ${migrationName(concurrently)} uses CONCURRENTLY`);
    expect(result.stderr).toContain("create index concurrently second_table_id_idx");
    expect(await tableExists(db.url, "second_table")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual(recorded(m0));
  });

  it("a refusal with many problems explains the first once, groups the rest by code with their migrations, and links the docs once", async () => {
    const indexes = [1, 2, 3].map((n) =>
      migration(n, [`create index concurrently step_${n}_idx on first_table (id)`]),
    );
    const commits = migration(4, ["create table second_table (id int primary key)", "commit"]);
    const result = await migrate([m0, ...indexes, commits]);
    expect(result.code, result.output).toBe(1);
    const [first, second, third] = indexes.map(migrationName);
    expect(result.stderr).toContain(`failed (CONCURRENTLY): Migration ${first} uses`);
    expect(result.stderr).toContain(
      `And 3 more problem(s): CONCURRENTLY ×2 (${second}, ${third}); ` +
        `TRANSACTION_CONTROL ×1 (${migrationName(commits)}).`,
    );
    expect(result.stderr.match(/ See /g)).toEqual([" See "]);
    expect(result.stderr).toContain(`See ${errorLink("CONCURRENTLY")}`);
    expect(await ledgerWhens(db.url)).toEqual([]);
  });

  it("refuses a migration that ends the batch's transaction, naming file and line, before any statement runs", async () => {
    await applied([m0]);
    const commits = migration(1, ["create table second_table (id int primary key)", "commit"]);
    const result = await migrate([m0, commits, m2]);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("TRANSACTION_CONTROL");
    expect(result.stderr).toContain(`drizzle/${migrationFile(commits)}:3: commit`);
    expect(result.stderr).toContain("-- no-transaction");

    const boot = await startBoot(db.url, writeBootDirectory([m0, commits, m2])).exited;
    expect(boot.code, boot.output).not.toBe(0);
    expect(boot.output).toContain(`failed (TRANSACTION_CONTROL)`);
    expect(await tableExists(db.url, "second_table")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual(recorded(m0));
  });

  it("refuses SET LOCAL of a timeout, which would outlive its file, unless the file opts in", async () => {
    const setsTimeout = migration(1, [
      "set local lock_timeout = 0",
      "create table second_table (id int primary key)",
    ]);
    const refused = await migrate([m0, setsTimeout]);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stderr).toContain("SESSION_CONTROL");
    expect(refused.stderr).toContain(
      `drizzle/${migrationFile(setsTimeout)}:1: set local lock_timeout = 0`,
    );
    expect(refused.stderr).toContain("-- migrator-allow timeouts: <why>");
    expect(await tableExists(db.url, "first_table")).toBe(false);

    const optedIn = migration(1, [
      `-- migrator-allow timeouts: waits for a busy table\n${setsTimeout.statements[0]}`,
      ...setsTimeout.statements.slice(1),
    ]);
    const accepted = await migrate([m0, optedIn]);
    expect(accepted.code, accepted.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual(recorded(m0, optedIn));
  });

  it("splits a drizzle-kit file generated with breakpoints: false: BEGIN … END in DO stays allowed, a COMMIT is found on its line", async () => {
    const generatedIn = writeMigrationFolder([], undefined, "0.45");
    const generated = await drizzleKitGenerate(generatedIn, { breakpoints: false }, [
      "--name",
      "init",
    ]);
    expect(generated.code, generated.output).toBe(0);
    const journal = readJournal(generatedIn);
    expect(journal.entries).toMatchObject([{ tag: "0000_init", breakpoints: false }]);
    expect(readdirSync(generatedIn).filter((name) => name.endsWith(".sql"))).toEqual([
      "0000_init.sql",
    ]);
    const sql = readFileSync(path.join(generatedIn, "0000_init.sql"), "utf8");
    // On drizzle 1.0 the same file where `drizzle-kit up` moves it, unchanged.
    const init = { tag: "0000_init", when: journal.entries[0]?.when ?? 0, statements: [sql] };
    const folder = TEST_DRIZZLE === "1" ? writeMigrationFolder([init]) : generatedIn;
    const sqlFile = path.join(folder, migrationFile(init));
    expect(sql).not.toContain("--> statement-breakpoint");
    expect(sql.match(/;/g)?.length).toBeGreaterThanOrEqual(5);

    // Older drizzle-kit output wraps foreign keys in DO blocks whose BEGIN … END is PL/pgSQL.
    const doBlock =
      'DO $$ BEGIN\n ALTER TABLE "projects" ADD CONSTRAINT "projects_owner_fk" FOREIGN KEY ' +
      '("owner_id") REFERENCES "owners"("id");\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n';
    const commitLine = `${sql}\n${doBlock}`.split("\n").length;
    writeFileSync(
      sqlFile,
      `${sql}\n${doBlock}COMMIT;\nCREATE INDEX "owners_name_idx" ON "owners" ("name");\n`,
    );
    const refused = await runMigratorCli("migrate", { url: db.url, folder });
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stderr).toContain("TRANSACTION_CONTROL");
    expect(refused.stderr).toContain(`drizzle/${migrationFile(init)}:${commitLine}: COMMIT`);
    expect(refused.stderr).not.toContain("BEGIN");
    expect(await tableExists(db.url, "owners")).toBe(false);

    writeFileSync(sqlFile, `${sql}\n${doBlock}`);
    const ok = await runMigratorCli("migrate", { url: db.url, folder });
    expect(ok.code, ok.output).toBe(0);
    expect(await tableExists(db.url, "projects")).toBe(true);
    expect(await ledgerWhens(db.url)).toEqual(recorded(init));
  });

  it(
    "refuses a ledger row without created_at (drizzle would re-run everything)",
    only045(
      "pending is chosen by name, not by created_at; a row without a name is refused (the next test)",
    ),
    async () => {
      const result = await migrateOverLedgerWithout("created_at");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("LEDGER_INVALID");
      expect(await tableExists(db.url, "second_table")).toBe(false);
    },
  );

  it(
    "refuses a ledger row without a name (drizzle would run its migration again)",
    only1("pending is chosen by created_at; a row without one is refused (the test before)"),
    async () => {
      const result = await migrateOverLedgerWithout("name");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("LEDGER_INVALID");
      expect(result.stderr).toContain(`its hash is ${migrationName(m0)}'s`);
      expect(await tableExists(db.url, "second_table")).toBe(false);
      expect(await ledgerWhens(db.url)).toEqual(recorded(m0));
    },
  );
});

describe("npm run db:status", () => {
  it(
    "lists .sql files missing from the journal, saying no migrator applies them",
    only045(
      "no journal; db:status names what 1.0 skips in test/drizzle-1/db-status-drizzle-1.test.ts",
    ),
    async () => {
      const folder = writeMigrationFolder([m0, m1]);
      writeFileSync(
        path.join(folder, "0002_hand-written.sql"),
        "create table hand_written (id int)",
      );
      await appliedFolder(folder);

      const status = await runMigratorCli("status", { url: db.url, folder });
      expect(status.code, status.output).toBe(0);
      expect(status.stdout).toContain(
        "not in meta/_journal.json (1): no migrator applies these files, neither this one nor drizzle-kit migrate",
      );
      expect(status.stdout).toContain("\n  0002_hand-written.sql\n");
      expect(await tableExists(db.url, "hand_written")).toBe(false);
    },
  );
});

describe("a failing migration", () => {
  it("names file, statement, message and SQLSTATE; leaves schema, ledger and lock as they were", async () => {
    await applied([m0]);
    const failing = migration(1, [
      "create table second_table (id int primary key)",
      "insert into table_that_does_not_exist values (1)",
    ]);
    const result = await migrate([m0, failing, m2]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[migrate] failed (MIGRATION_FAILED)");
    expect(result.stderr).toContain(`Migration ${migrationFile(failing)} (statement 2 of 2)`);
    expect(result.stderr).toContain('relation "table_that_does_not_exist" does not exist');
    expect(result.stderr).toContain("SQLSTATE 42P01");
    expect(result.stderr).toContain("Statement: insert into table_that_does_not_exist values (1)");
    expect(await tableExists(db.url, "second_table")).toBe(false);
    expect(await tableExists(db.url, "third_table")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual(recorded(m0));
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});
