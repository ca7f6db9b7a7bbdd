import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runDrizzleKit } from "@tools/migration-check/drizzle-kit";
import { LISTED_AT, readListedWaivers } from "@tools/migration-check/lint/listed-waivers";
import { type Journal, journalPath, readJournal, writeJournal } from "drizzle-boot-migrator/folder";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyProject, type ProjectCopy } from "../support/project-copy";

// Each test breaks a copy of the project one way and runs the real `db:check` script on it.

let project: ProjectCopy;

beforeEach(() => {
  project = copyProject();
});

afterEach(() => {
  project.remove();
});

const dbCheck = () => project.run("scripts/db-check.ts");

const journal = () => readJournal(project.drizzleDir);

function editJournal(edit: (journal: Journal) => void) {
  const edited = journal();
  edit(edited);
  writeJournal(project.drizzleDir, edited);
}

/** A new, empty migration made the way a developer would: `drizzle-kit generate --custom`. */
async function addCustomMigration(name: string) {
  const run = await runDrizzleKit(["generate", "--custom", "--name", name], { cwd: project.dir });
  expect(run.output).toContain(`${name}.sql`);
}

/** A custom migration holding `sql`; returns its tag. */
async function migrationWith(name: string, sql: string): Promise<string> {
  await addCustomMigration(name);
  const tag = journal().entries.at(-1)?.tag ?? "";
  writeFileSync(path.join(project.drizzleDir, `${tag}.sql`), sql);
  return tag;
}

/** Commits drizzle/ of the copy, as the project's history would have it. */
function commitMigrations() {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: project.dir,
    });
  git("init", "-q");
  git("add", "drizzle");
  git("commit", "-qm", "the project's migrations before adoption");
}

/** drizzle-kit's file prefix for a journal position: `0001`. */
const prefix = (idx: number) => String(idx).padStart(4, "0");

// Each test spawns drizzle-kit (2–4 s alone, more on a loaded machine).
describe("npm run db:check", { timeout: 60_000 }, () => {
  it("passes on the committed migrations and schema, and writes nothing into drizzle/", async () => {
    const before = project.snapshotDrizzle();

    const result = await dbCheck();

    expect(result).toMatchObject({ code: 0 });
    expect(project.snapshotDrizzle()).toEqual(before);
  });

  it("fails on a schema change no migration captures, showing the SQL, without writing it", async () => {
    project.editSchema(
      "reporting.ts",
      (source) =>
        `${source}\nexport const dbCheckProbes = pgTable("db_check_probes", { id: uuid("id").primaryKey() });\n`,
    );
    const before = project.snapshotDrizzle();

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("[uncaptured schema changes]");
    expect(result.output).toContain('CREATE TABLE "db_check_probes"');
    expect(result.output).toContain("npm run db:generate -- --name");
    expect(project.snapshotDrizzle()).toEqual(before);
  });

  it("fails on a rename drizzle-kit would have to ask about, instead of waiting for an answer", async () => {
    project.editSchema("tenancy.ts", (source) =>
      source.replace('slug: text("slug")', 'slug: text("handle")'),
    );

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("[uncaptured schema changes]");
    expect(result.output).toContain("renamed");
  });

  it("fails when drizzle-kit's own check finds two migrations generated from one parent", async () => {
    await addCustomMigration("branch-a");
    // A second branch's migration: same parent snapshot as branch-a's, later timestamp.
    const branchA = journal().entries.at(-1);
    if (!branchA) throw new Error("the copied journal is empty");
    const branchB = `${prefix(branchA.idx + 1)}_branch-b`;
    const metaDir = path.join(project.drizzleDir, "meta");
    const snapshotPath = path.join(metaDir, `${prefix(branchA.idx)}_snapshot.json`);
    const snapshot = JSON.parse(readFileSync(snapshotPath, "utf8"));
    snapshot.id = "6f1c1e8e-1b7a-4b8e-9c57-3d2c7d1e0b42";
    writeFileSync(
      path.join(metaDir, `${prefix(branchA.idx + 1)}_snapshot.json`),
      JSON.stringify(snapshot),
    );
    writeFileSync(path.join(project.drizzleDir, `${branchB}.sql`), "-- branch b\n");
    editJournal((journal) => {
      journal.entries.push({
        ...branchA,
        idx: branchA.idx + 1,
        when: branchA.when + 1,
        tag: branchB,
      });
    });

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("[drizzle-kit check]");
    expect(result.output).toContain("collision");
  });

  it("fails when a journal `when` repeats the entry before it", async () => {
    await addCustomMigration("noop");
    let previousTag = "";
    let noopTag = "";
    editJournal((journal) => {
      const [previous, noop] = journal.entries.slice(-2);
      if (!previous || !noop) throw new Error("expected two journal entries");
      noop.when = previous.when;
      previousTag = previous.tag;
      noopTag = noop.tag;
    });

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("[journal]");
    expect(result.output).toContain("the ledger records a migration by its `when`");
    expect(result.output).toMatch(
      new RegExp(`${noopTag} has the same \`when\` as ${previousTag} `),
    );
  });

  it("passes with a warning when a journal entry is earlier than the one before it", async () => {
    await addCustomMigration("noop");
    editJournal((journal) => {
      const [previous, noop] = journal.entries.slice(-2);
      if (!previous || !noop) throw new Error("expected two journal entries");
      noop.when = previous.when - 1000;
    });

    const result = await dbCheck();

    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("[journal]");
    expect(result.output).toContain("but is earlier (a hand-edited journal, or a merge)");
    expect(result.output).toContain("Leave migrations that are applied anywhere as they are");
  });

  it("fails when a journal entry's .sql file is missing", async () => {
    rmSync(path.join(project.drizzleDir, "0000_initial-schema.sql"));

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("0000_initial-schema.sql does not exist");
  });

  it("fails when a .sql file is not in the journal", async () => {
    writeFileSync(path.join(project.drizzleDir, "9999_by-hand.sql"), "select 1;\n");

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("9999_by-hand.sql is not in meta/_journal.json");
  });

  it("fails on a migration the linter flags, naming file, line, rule and the safe way", async () => {
    await addCustomMigration("index-users-name");
    const tag = journal().entries.at(-1)?.tag;
    writeFileSync(
      path.join(project.drizzleDir, `${tag}.sql`),
      '-- Speeds up the member search.\nCREATE INDEX "users_name_idx" ON "users" ("name");\n',
    );

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `✗ [migration lint] drizzle/${tag}.sql:2 [require-concurrent-index-creation]`,
    );
    expect(result.output).toContain("CREATE INDEX CONCURRENTLY");
    expect(result.output).toContain("docs/migrations.md#require-concurrent-index-creation");
  });

  it("--adopt records the findings of committed migrations with a reason; only new migrations then fail", async () => {
    const oldIndex = await migrationWith(
      "index-users-name",
      'CREATE INDEX "users_name_idx" ON "users" ("name");\n',
    );
    const oldDrop = await migrationWith("drop-image", 'ALTER TABLE "users" DROP COLUMN "image";\n');
    commitMigrations();
    const newIndex = await migrationWith(
      "index-users-email",
      'CREATE INDEX "users_email_idx" ON "users" ("email");\n',
    );

    const adopted = await project.run("scripts/db-check.ts", ["--adopt"]);

    expect(adopted.code, adopted.output).toBe(1);
    expect(adopted.output).toContain(
      `recorded 2 statement(s) of 2 committed migration(s) in ${LISTED_AT} (reason: "applied before adoption")`,
    );
    expect(adopted.output).toContain(`Not recorded: findings in drizzle/${newIndex}.sql`);
    expect(readListedWaivers(project.dir)).toEqual([
      expect.objectContaining({
        file: `${oldIndex}.sql`,
        rules: ["require-concurrent-index-creation"],
        reason: "applied before adoption",
      }),
      expect.objectContaining({ file: `${oldDrop}.sql`, rules: ["ban-drop-column"] }),
    ]);
    const after = await dbCheck();
    expect(after.code).toBe(1);
    expect(after.output).toContain(`drizzle/${newIndex}.sql:1 [require-concurrent-index-creation]`);
    expect(after.output).not.toContain(`${oldIndex}.sql`);
    expect(after.output).not.toContain(`${oldDrop}.sql`);
  });

  it.each([
    ["COMMIT", 'UPDATE "users" SET "name" = trim("name");\nCOMMIT;\n', "transaction-control"],
    [
      "CONCURRENTLY without the marker",
      '-- the index went in by hand first\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx" ON "users" ("name");\n',
      "concurrently",
    ],
  ])(
    "--adopt records a committed migration's %s, which then passes; the same statement in a new migration fails",
    async (_, sql, rule) => {
      const old = await migrationWith("refused-while-pending", sql);
      commitMigrations();

      const before = await dbCheck();
      expect(before.code).toBe(1);
      expect(before.output).toContain(`✗ [migration lint] drizzle/${old}.sql:2 [${rule}]`);
      expect(before.output).toContain(`docs/migrations.md#${rule.replace("-", "_")}`);

      const adopted = await project.run("scripts/db-check.ts", [
        "--adopt",
        "--reason",
        "applied everywhere in 2025",
      ]);
      expect(adopted.code, adopted.output).toBe(0);
      expect(readListedWaivers(project.dir)).toEqual([
        {
          file: `${old}.sql`,
          statement: expect.stringMatching(/^[0-9a-f]{16}$/),
          rules: [rule],
          reason: "applied everywhere in 2025",
        },
      ]);

      const again = await migrationWith("refused-while-pending-again", sql);
      const after = await dbCheck();
      expect(after.code).toBe(1);
      expect(after.output).toContain(`✗ [migration lint] drizzle/${again}.sql:2 [${rule}]`);
      expect(after.output).not.toContain(`${old}.sql`);
    },
  );

  it("--adopt outside a git repository refuses, naming why, and writes nothing", async () => {
    const result = await project.run("scripts/db-check.ts", ["--adopt"]);

    expect(result.code).toBe(2);
    expect(result.output).toContain("--adopt records the findings of committed migrations");
    expect(readListedWaivers(project.dir)).toEqual([]);
  });

  it("fails when drizzle.config.ts puts the ledger elsewhere than migrations-config.ts", async () => {
    writeFileSync(
      path.join(project.dir, "drizzle.config.ts"),
      "export default { dialect: 'postgresql', schema: './schema/index.ts', out: './drizzle', " +
        "migrations: { schema: 'public', table: 'app_migrations' } };\n",
    );

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain(
      "[migrations config] drizzle.config.ts disagrees with src/lib/db/migrations-config.ts, " +
        'which the server and db:migrate use: the ledger is "public"."app_migrations" there but ' +
        '"drizzle"."__drizzle_migrations" here.',
    );
  });

  it("fails, naming the file, when the journal is not valid JSON", async () => {
    writeFileSync(journalPath(project.drizzleDir), "{");

    const result = await dbCheck();

    expect(result.code).toBe(1);
    expect(result.output).toContain("drizzle/meta/_journal.json is not valid JSON");
  });
});
