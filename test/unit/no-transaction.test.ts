import { writeFileSync } from "node:fs";
import path from "node:path";
import { runDrizzleKit } from "@tools/migration-check/drizzle-kit";
import { checkNoTransactionFile } from "@tools/migration-check/no-transaction";
import { concurrentIndexBuilt, isNoTransaction } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { copyProject } from "../support/project-copy";

const BREAK = "\n--> statement-breakpoint\n";
const marked = (...statements: string[]) => `-- no-transaction\n${statements.join(BREAK)}`;

describe("the -- no-transaction marker", () => {
  it("is exactly the first line of the file", () => {
    expect(isNoTransaction(["-- no-transaction\ncreate index ..."])).toBe(true);
    expect(isNoTransaction(["-- no-transaction\r\ncreate index ..."])).toBe(true);
    expect(isNoTransaction(["-- no-transaction"])).toBe(true);
    expect(isNoTransaction(["--no-transaction\ncreate index ..."])).toBe(false);
    expect(isNoTransaction(["-- No-Transaction\ncreate index ..."])).toBe(false);
    expect(isNoTransaction(["select 1;\n-- no-transaction\n"])).toBe(false);
    expect(isNoTransaction([])).toBe(false);
  });
});

describe("concurrentIndexBuilt", () => {
  it("names the index a CREATE INDEX CONCURRENTLY builds, in its table's schema", () => {
    expect(
      concurrentIndexBuilt(
        "-- no-transaction\ncreate index concurrently if not exists a_idx on a (x)",
      ),
    ).toBe("a_idx");
    expect(concurrentIndexBuilt('CREATE UNIQUE INDEX CONCURRENTLY "A Idx" ON ONLY "T" (x)')).toBe(
      '"A Idx"',
    );
    expect(concurrentIndexBuilt("create index concurrently a_idx on app.a (x)")).toBe("app.a_idx");
    expect(concurrentIndexBuilt("create index concurrently s.a_idx on app.a (x)")).toBe("s.a_idx");
    expect(concurrentIndexBuilt("create index a_idx on a (x)")).toBeUndefined();
    expect(concurrentIndexBuilt("drop index concurrently if exists a_idx")).toBeUndefined();
    expect(concurrentIndexBuilt("create index concurrently on a (x)")).toBeUndefined();
  });
});

describe("db:check rules for -- no-transaction files", () => {
  const check = (text: string) => checkNoTransactionFile("drizzle/0001_x.sql", text);
  const problems = (text: string) => check(text).filter((finding) => !finding.note);

  it("accepts statements that are no-ops the second time, and notes that drizzle-kit migrate cannot apply the file", () => {
    const findings = check(
      marked(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (x);",
        "create unique index concurrently if not exists b_uidx on b (y)",
        "drop index concurrently if exists old_idx",
        "ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived' AFTER 'sent'",
        "reindex index concurrently a_idx",
        "-- only a comment",
      ),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ note: true });
    expect(findings[0]?.problem).toContain("`drizzle-kit migrate` cannot apply it");
  });

  it("requires IF NOT EXISTS / IF EXISTS, naming the statement and the form to use", () => {
    const [index, drop, value] = problems(
      marked(
        "create index concurrently a_idx on a (x)",
        "drop index concurrently old_idx",
        "alter type status add value 'archived'",
      ),
    );
    expect(index?.problem).toContain("(statement 1 of 3)");
    expect(index?.problem).toContain("create index concurrently a_idx on a (x)");
    expect(index?.problem).not.toContain("no-transaction create");
    expect(index?.fix).toContain("CREATE INDEX CONCURRENTLY IF NOT EXISTS");
    expect(drop?.fix).toContain("DROP INDEX CONCURRENTLY IF EXISTS");
    expect(value?.fix).toContain("ADD VALUE IF NOT EXISTS");
  });

  it("is not fooled by IF NOT EXISTS in a comment or a string", () => {
    expect(
      problems(marked("create index concurrently a_idx on a (x) -- if not exists")),
    ).toHaveLength(1);
    expect(problems(marked("alter type t add value 'if not exists'"))).toHaveLength(1);
  });

  it("sends statements that need no marker to an ordinary migration", () => {
    const [update] = problems(marked("update reports set title = ''"));
    expect(update?.fix).toContain("move this one into an ordinary migration");
  });

  it("refuses a near-miss of the marker, naming the marker, and leaves unmarked files to the lint", () => {
    const [nearMiss] = problems("--no-transaction\ncreate index if not exists a_idx on a (x)");
    expect(nearMiss?.problem).toContain("which is not the marker");
    expect(nearMiss?.fix).toContain("`-- no-transaction`");
    expect(problems("create index a_idx on a (x)")).toEqual([]);
    // The lint's `concurrently` rule reports it, so that --adopt can record a committed one.
    expect(problems("create index concurrently if not exists a_idx on a (x)")).toEqual([]);
  });
});

describe("npm run db:check with a -- no-transaction migration", { timeout: 90_000 }, () => {
  it("fails on a statement without IF NOT EXISTS and passes, with the drizzle-kit note, once fixed", async () => {
    const project = copyProject();
    try {
      const generated = await runDrizzleKit(["generate", "--custom", "--name", "reports-index"], {
        cwd: project.dir,
      });
      const file = /(\d{4}_reports-index)\.sql/.exec(generated.output)?.[1];
      expect(file, generated.output).toBeDefined();
      const sqlPath = path.join(project.drizzleDir, `${file}.sql`);

      writeFileSync(
        sqlPath,
        marked("create index concurrently reports_week_idx on report_weeks (week_ending_date)"),
      );
      const failed = await project.run("scripts/db-check.ts");
      expect(failed.code, failed.output).toBe(1);
      expect(failed.output).toContain("[no-transaction]");
      expect(failed.output).toContain("CREATE INDEX CONCURRENTLY IF NOT EXISTS");

      writeFileSync(
        sqlPath,
        marked(
          "create index concurrently if not exists reports_week_idx on report_weeks (week_ending_date)",
        ),
      );
      const passed = await project.run("scripts/db-check.ts");
      expect(passed.code, passed.output).toBe(0);
      expect(passed.stdout).toContain("`drizzle-kit migrate` cannot apply it");
    } finally {
      project.remove();
    }
  });
});
