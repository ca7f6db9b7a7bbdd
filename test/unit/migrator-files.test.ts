import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  appendMigration,
  copyMigrations,
  journalPath,
  readMigrationFolder,
  removeNewestMigration,
} from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { writeMigrationFolder } from "../support/migrator";

const migrations = [
  {
    tag: "0000_first",
    when: 1_700_000_000_000,
    statements: ["create table a (id int)", "create index a_idx on a (id)"],
  },
  { tag: "0001_second", when: 1_700_000_001_000, statements: ["create table b (id int)"] },
];

describe("readMigrationFolder", () => {
  it("returns tags, whens, drizzle's SHA-256 of each file and its statements", () => {
    const folder = writeMigrationFolder(migrations);
    const files = readMigrationFolder(folder);
    expect(files.map(({ tag, when }) => ({ tag, when }))).toEqual([
      { tag: "0000_first", when: 1_700_000_000_000 },
      { tag: "0001_second", when: 1_700_000_001_000 },
    ]);
    const content = readFileSync(path.join(folder, "0000_first.sql"));
    expect(files[0]?.hash).toBe(createHash("sha256").update(content).digest("hex"));
    expect(files[0]?.statements.map((statement) => statement.trim())).toEqual(
      migrations[0]?.statements,
    );
  });

  it("explains a missing journal", () => {
    expect(() => readMigrationFolder("/nonexistent/drizzle")).toThrow(
      expect.objectContaining({
        code: "MIGRATIONS_FOLDER",
        message: expect.stringContaining(
          "No migrations journal at /nonexistent/drizzle/meta/_journal.json",
        ),
      }),
    );
  });

  it("explains a journal entry without its .sql file", () => {
    const folder = writeMigrationFolder(migrations);
    rmSync(path.join(folder, "0001_second.sql"));
    expect(() => readMigrationFolder(folder)).toThrow(
      /0001_second\.sql.*restore it from version control/s,
    );
  });

  it("explains a journal left with merge-conflict markers", () => {
    const folder = writeMigrationFolder(migrations);
    writeFileSync(journalPath(folder), "<<<<<<< HEAD\n{}\n=======\n");
    expect(() => readMigrationFolder(folder)).toThrow(/is not valid JSON .*merge conflict/s);
  });
});

describe("writing a folder through the package", () => {
  const tagsAndWhens = (folder: string) =>
    readMigrationFolder(folder).map(({ tag, when }) => ({ tag, when }));

  it("appendMigration adds a migration one second after the newest, which drizzle then reads", () => {
    const folder = writeMigrationFolder(migrations);
    appendMigration(folder, "0002_third", "create table c (id int);");
    expect(tagsAndWhens(folder).at(-1)).toEqual({ tag: "0002_third", when: 1_700_000_002_000 });
    expect(readMigrationFolder(folder).at(-1)?.statements).toEqual(["create table c (id int);"]);
  });

  it("removeNewestMigration leaves the folder of the release before, without the newest file", () => {
    const folder = writeMigrationFolder(migrations);
    expect(removeNewestMigration(folder).tag).toBe("0001_second");
    expect(tagsAndWhens(folder)).toEqual([{ tag: "0000_first", when: 1_700_000_000_000 }]);
    expect(existsSync(path.join(folder, "0001_second.sql"))).toBe(false);
  });

  it("copyMigrations copies the chosen migrations byte for byte: the same hashes", () => {
    const folder = writeMigrationFolder(migrations);
    const copy = path.join(writeMigrationFolder([]), "copy");
    copyMigrations(folder, copy, ["0001_second"]);
    expect(readMigrationFolder(copy)).toEqual(readMigrationFolder(folder).slice(1));
  });
});
