import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { lintMigrationFolder } from "@tools/migration-check/lint";
import { checkNoTransactionMigrations } from "@tools/migration-check/no-transaction";
import {
  findFolderProblems1,
  folderLayout,
  migrationName1,
  migrationSqlFiles,
  writeMigrationFolder,
  writeMigrationFolder1,
} from "drizzle-boot-migrator/folder";
import { afterEach, describe, expect, it } from "vitest";

// The linter and db:check's folder rules on drizzle-kit 1.0's layout (a directory per migration),
// over real squawk runs. The folders are written with the package's 1.0 writer; no drizzle-orm
// 1.0 is needed to read them (drizzle-boot-migrator/folder's folderLayout, migrationSqlFiles).

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 5, 9, 30, 0);
const tagAt = (n: number) => migrationName1(T0 + n * 1000, `step-${n}`);

/** A 1.0 folder with one migration per SQL text, a second apart. */
function folder1(...sqls: string[]): string {
  const folder = mkdtempSync(path.join(tmpdir(), "migration-lint-1-"));
  folders.push(folder);
  writeMigrationFolder1(
    folder,
    sqls.map((sql, n) => ({ tag: tagAt(n), sql })),
  );
  return folder;
}

const problemsOf = (found: { problem: string }[]) => found.map((finding) => finding.problem);

describe("the migration lint on a drizzle-kit 1.0 folder", { timeout: 30_000 }, () => {
  it("flags a non-concurrent index, naming <folder>/migration.sql and the line", async () => {
    const folder = folder1(
      'CREATE TABLE "things" ("id" uuid PRIMARY KEY, "name" text);',
      '-- a later migration\nCREATE INDEX "users_name_idx" ON "users" USING btree ("name");',
    );
    const problems = problemsOf(await lintMigrationFolder(folder, "drizzle", []));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^drizzle/${tagAt(1)}/migration\\.sql:2 \\[require-concurrent-index-creation\\] `),
    );
  });

  it("flags CONCURRENTLY in a migration without the marker (rule concurrently), naming the file", async () => {
    const folder = folder1('CREATE INDEX CONCURRENTLY "users_name_idx" ON "users" ("name");');
    const problems = problemsOf(await lintMigrationFolder(folder, "drizzle", []));
    expect(problems).toContainEqual(
      expect.stringMatching(
        new RegExp(`^drizzle/${tagAt(0)}/migration\\.sql:1 \\[concurrently\\] `),
      ),
    );
  });

  it("passes the marked rewrite, and honours an inline waiver in a 1.0 migration", async () => {
    const folder = folder1(
      '-- no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx" ON "users" USING btree ("name");',
      '-- lint-waiver ban-drop-column: no release since 2026-01-01 reads users.image\nALTER TABLE "users" DROP COLUMN "image";',
    );
    expect(await lintMigrationFolder(folder, "drizzle", [])).toEqual([]);
  });

  it("db:check's no-transaction rules name the 1.0 file", () => {
    const folder = folder1(
      '-- no-transaction\nCREATE INDEX CONCURRENTLY "users_name_idx" ON "users" ("name");',
    );
    const findings = checkNoTransactionMigrations(folder, "drizzle").filter((f) => !f.note);
    expect(findings.map((finding) => finding.file)).toEqual([`drizzle/${tagAt(0)}/migration.sql`]);
    expect(findings[0]?.fix).toContain("CREATE INDEX CONCURRENTLY IF NOT EXISTS");
  });
});

describe("drizzle-boot-migrator/folder: either layout, read without drizzle-orm", () => {
  it("tells a 1.0 folder from a journal folder, and lists the SQL in drizzle's order", () => {
    const one = folder1("select 1;", "select 2;");
    expect(folderLayout(one)).toBe("1");
    expect(migrationSqlFiles(one)).toEqual([
      `${tagAt(0)}/migration.sql`,
      `${tagAt(1)}/migration.sql`,
    ]);
    const journal = mkdtempSync(path.join(tmpdir(), "migration-lint-045-"));
    folders.push(journal);
    writeMigrationFolder(journal, [{ tag: "0000_init", when: T0, sql: "select 1;" }]);
    expect(folderLayout(journal)).toBe("0.45");
    expect(migrationSqlFiles(journal)).toEqual(["0000_init.sql"]);
    expect(folderLayout(path.join(journal, "missing"))).toBeUndefined();
  });

  it("names what drizzle-orm 1.0 would skip or misread in a 1.0 folder", () => {
    const folder = folder1("select 1;");
    mkdirSync(path.join(folder, `${tagAt(1)}`));
    writeFileSync(path.join(folder, `${tagAt(1)}`, "snapshot.json"), "{}");
    writeMigrationFolder1(folder, [{ tag: "add-things", sql: "select 2;" }]);
    writeMigrationFolder1(folder, [{ tag: "20261340000000_bad-month", sql: "select 3;" }]);
    writeFileSync(path.join(folder, "0009_left-over.sql"), "select 4;");
    expect(
      findFolderProblems1(folder)
        .map((problem) => problem.path)
        .sort(),
    ).toEqual(
      [
        "0009_left-over.sql",
        "20261340000000_bad-month/migration.sql",
        `${tagAt(1)}/`,
        "add-things/migration.sql",
      ].sort(),
    );
    expect(findFolderProblems1(folder1("select 1;", "select 2;"))).toEqual([]);
  });
});
