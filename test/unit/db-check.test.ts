import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runDrizzleKit } from "@/lib/db/migration-check/drizzle-kit";
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

const journalPath = () => path.join(project.drizzleDir, "meta/_journal.json");

function editJournal(edit: (journal: { entries: { when: number; tag: string }[] }) => void) {
  const journal = JSON.parse(readFileSync(journalPath(), "utf8"));
  edit(journal);
  writeFileSync(journalPath(), JSON.stringify(journal, null, 2));
}

/** A second, empty migration made the way a developer would: `drizzle-kit generate --custom`. */
async function addCustomMigration(name: string) {
  const run = await runDrizzleKit(["generate", "--custom", "--name", name], { cwd: project.dir });
  expect(run.output).toContain(`${name}.sql`);
}

describe("npm run db:check", () => {
  it("passes on the committed migrations and schema, and writes nothing into drizzle/", async () => {
    const before = project.snapshotDrizzle();

    const result = await dbCheck();

    expect(result).toMatchObject({ exitCode: 0 });
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

    expect(result.exitCode).toBe(1);
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

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("[uncaptured schema changes]");
    expect(result.output).toContain("renamed");
  });

  it("fails when drizzle-kit's own check finds two migrations generated from one parent", async () => {
    await addCustomMigration("branch-a");
    // A second branch's migration: same parent snapshot as branch-a's, later timestamp.
    const metaDir = path.join(project.drizzleDir, "meta");
    const snapshot = JSON.parse(readFileSync(path.join(metaDir, "0001_snapshot.json"), "utf8"));
    snapshot.id = "6f1c1e8e-1b7a-4b8e-9c57-3d2c7d1e0b42";
    writeFileSync(path.join(metaDir, "0002_snapshot.json"), JSON.stringify(snapshot));
    writeFileSync(path.join(project.drizzleDir, "0002_branch-b.sql"), "-- branch b\n");
    editJournal((journal) => {
      const last = journal.entries.at(-1);
      if (!last) throw new Error("the copied journal is empty");
      journal.entries.push({ ...last, when: last.when + 1, tag: "0002_branch-b" });
    });

    const result = await dbCheck();

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("[drizzle-kit check]");
    expect(result.output).toContain("collision");
  });

  it("fails when a journal `when` is not later than the entry before it", async () => {
    await addCustomMigration("noop");
    editJournal((journal) => {
      const [first, second] = journal.entries;
      if (!first || !second) throw new Error("expected two journal entries");
      second.when = first.when;
    });

    const result = await dbCheck();

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("[journal]");
    expect(result.output).toMatch(/0001_noop .* follows 0000_initial-schema .* but is not later/);
  });

  it("fails when a journal entry's .sql file is missing", async () => {
    rmSync(path.join(project.drizzleDir, "0000_initial-schema.sql"));

    const result = await dbCheck();

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("0000_initial-schema.sql does not exist");
  });

  it("fails when a .sql file is not in the journal", async () => {
    writeFileSync(path.join(project.drizzleDir, "0001_by-hand.sql"), "select 1;\n");

    const result = await dbCheck();

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("0001_by-hand.sql is not in meta/_journal.json");
  });

  it("fails, naming the file, when the journal is not valid JSON", async () => {
    writeFileSync(journalPath(), "{");

    const result = await dbCheck();

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("drizzle/meta/_journal.json is not valid JSON");
  });
});
