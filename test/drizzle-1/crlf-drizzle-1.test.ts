import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  boot045,
  folderName1,
  ledgerRows,
  migrate1,
  requireDrizzle1,
  writeMigrationFolder1,
} from "../support/drizzle-1/migrations";
import {
  emptyDatabasePerTest,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
} from "../support/migrator";

// A checkout with CRLF line endings (core.autocrlf, a Windows machine) changes every migration's
// SHA-256 but not its SQL. On drizzle-orm 1.0 the migrator must still see applied migrations as
// applied: by name on a 1.0 ledger, and through 1.0's upgrade of a 0.45 ledger, which names each
// row by its created_at to the second and, when two migrations share that second, by hash.
requireDrizzle1();
const db = emptyDatabasePerTest();

/** Two statements each, so that every file has a line ending inside it. */
const twoStatements = (n: number) => [
  `create table crlf_${n} (id int)`,
  `create index crlf_${n}_id_idx on crlf_${n} (id)`,
];
// FIXTURE_T0 is a whole second: both migrations fall in it, 400 ms apart.
const sameSecond: FixtureMigration[] = [
  { ...fixtureMigration(0, twoStatements(0)), when: FIXTURE_T0 },
  { ...fixtureMigration(1, twoStatements(1)), when: FIXTURE_T0 + 400 },
];

/** The folder as a CRLF checkout writes it. */
function toCrlf(folder: string, migrations: FixtureMigration[]): void {
  for (const migration of migrations) {
    const file = path.join(folder, folderName1(migration), "migration.sql");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("\n");
    writeFileSync(file, text.replaceAll("\n", "\r\n"));
  }
}

describe("drizzle-orm 1.0: a CRLF checkout of applied migrations", () => {
  it("upgrades a 0.45 ledger whose two migrations share a second, and runs nothing again", async () => {
    expect(folderName1(sameSecond[0] as FixtureMigration).slice(0, 14)).toBe(
      folderName1(sameSecond[1] as FixtureMigration).slice(0, 14),
    );
    const boot = await boot045(db.url, sameSecond, {});
    expect(boot.code, boot.output).toBe(0);
    const before = await ledgerRows(db.url);
    expect(before).toHaveLength(2);
    expect(before.every((row) => !("name" in row))).toBe(true);

    const folder = writeMigrationFolder1(sameSecond);
    toCrlf(folder, sameSecond);
    const run = await migrate1(db.url, folder);
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toMatch(/\[migrate\] ran /);
    expect(run.output).toContain("upgraded the ledger");
    const after = await ledgerRows(db.url);
    expect(after.map((row) => [row.id, row.hash, row.name])).toEqual(
      before.map((row, index) => [
        row.id,
        row.hash,
        folderName1(sameSecond[index] as FixtureMigration),
      ]),
    );

    const again = await migrate1(db.url, folder, { command: "status" });
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain("at 20231114221320_step-1, 0 of 2 pending");
  });

  it("on a 1.0 ledger: migrations applied from an LF checkout stay applied in a CRLF checkout", async () => {
    const folder = writeMigrationFolder1(sameSecond);
    const first = await migrate1(db.url, folder);
    expect(first.code, first.output).toBe(0);
    const rows = await ledgerRows(db.url);
    toCrlf(folder, sameSecond);
    const run = await migrate1(db.url, folder);
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toMatch(/\[migrate\] ran /);
    expect(await ledgerRows(db.url)).toEqual(rows);
  });
});
