import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";
import { withSql } from "../support/migrator";
import {
  databasesPerTest,
  named,
  VERIFY_FIXTURE,
  verifyAgainst,
  verifyFixtureFolder,
} from "../support/verify";

// db:verify's comparison on a real Postgres: a database brought up to date by the migrator, then
// changed by hand as people change production databases; each change must come back by name with
// what the migrations build (expected) and what the database has (actual).

const databases = databasesPerTest();

/** A database with the fixture's first `count` migrations applied by the migrator. */
function migrated(count = VERIFY_FIXTURE.length) {
  return databases.create(verifyFixtureFolder(count));
}

async function byHand(url: string, statements: string[]): Promise<void> {
  await withSql(url, async (sql) => {
    for (const statement of statements) await sql.unsafe(statement);
  });
}

const CASES: {
  name: string;
  change: string[];
  /** A last statement that fails, leaving its trace (CONCURRENTLY runs outside a transaction). */
  failing?: { statement: string; error: RegExp };
  expected: ReturnType<typeof named>;
}[] = [
  {
    name: "an extra index",
    change: [`create index accounts_name_idx on accounts (name)`],
    expected: [
      {
        code: "index.extra",
        object: "public.accounts_name_idx",
        expected: null,
        actual: "CREATE INDEX accounts_name_idx ON public.accounts USING btree (name)",
      },
    ],
  },
  {
    name: "a dropped index",
    change: [`drop index projects_account_id_idx`],
    expected: [
      {
        code: "index.missing",
        object: "public.projects_account_id_idx",
        expected:
          "CREATE INDEX projects_account_id_idx ON public.projects USING btree (account_id)",
        actual: null,
      },
    ],
  },
  {
    name: "an invalid index (a CREATE INDEX CONCURRENTLY that failed on duplicates)",
    change: [
      `drop index projects_account_title_uidx`,
      `insert into accounts (id, name) values ('00000000-0000-0000-0000-000000000001', 'a')`,
      `insert into projects (account_id, title) values
        ('00000000-0000-0000-0000-000000000001', 'same'), ('00000000-0000-0000-0000-000000000001', 'same')`,
    ],
    failing: {
      statement: `create unique index concurrently projects_account_title_uidx on projects (account_id, title)`,
      error: /could not create unique index/,
    },
    expected: [
      {
        code: "index.invalid",
        object: "public.projects_account_title_uidx",
        expected: "valid",
        actual: "INVALID (a failed CREATE INDEX CONCURRENTLY leaves one)",
      },
    ],
  },
  {
    name: "a column's type changed",
    change: [`alter table accounts alter column note type text`],
    expected: [
      {
        code: "column.type",
        object: "public.accounts.note",
        expected: "character varying(100)",
        actual: "text",
      },
    ],
  },
  {
    name: "a column's nullability changed",
    change: [`alter table accounts alter column note set not null`],
    expected: [
      {
        code: "column.nullability",
        object: "public.accounts.note",
        expected: "NULL allowed",
        actual: "NOT NULL",
      },
    ],
  },
  {
    name: "a column's default changed",
    change: [`alter table accounts alter column seats set default 5`],
    expected: [
      {
        code: "column.default",
        object: "public.accounts.seats",
        expected: "DEFAULT 1",
        actual: "DEFAULT 5",
      },
    ],
  },
  {
    name: "an extra table",
    change: [`create table scratchpad (id int primary key, body text)`],
    expected: [
      {
        code: "table.extra",
        object: "public.scratchpad",
        expected: null,
        actual: "table public.scratchpad",
      },
    ],
  },
  {
    name: "an extra column",
    change: [`alter table accounts add column legacy_code text`],
    expected: [
      {
        code: "column.extra",
        object: "public.accounts.legacy_code",
        expected: null,
        actual: "text",
      },
    ],
  },
  {
    name: "a dropped constraint",
    change: [`alter table projects drop constraint projects_budget_check`],
    expected: [
      {
        code: "constraint.missing",
        object: "public.projects.projects_budget_check",
        expected: "CHECK ((budget >= (0)::numeric))",
        actual: null,
      },
    ],
  },
  {
    name: "a constraint left NOT VALID",
    change: [
      `alter table projects drop constraint projects_account_id_fk`,
      `alter table projects add constraint projects_account_id_fk foreign key (account_id)
        references accounts (id) on delete cascade not valid`,
    ],
    expected: [
      {
        code: "constraint.not_valid",
        object: "public.projects.projects_account_id_fk",
        expected: "validated",
        actual: "NOT VALID: existing rows were never checked",
      },
    ],
  },
  {
    name: "an added enum value",
    change: [`alter type plan add value 'enterprise'`],
    expected: [
      {
        code: "enum.values",
        object: "public.plan",
        expected: "('free', 'pro')",
        actual: "('free', 'pro', 'enterprise')",
      },
    ],
  },
  {
    name: "a missing extension",
    change: [`drop extension pg_trgm`],
    expected: [
      {
        code: "extension.missing",
        object: "pg_trgm",
        expected: expect.stringMatching(/^extension pg_trgm in schema public \(version [\d.]+\)$/),
        actual: null,
      },
    ],
  },
];

describe("db:verify on a database changed by hand after its migrations", () => {
  it.each(CASES)("reports $name by name, with expected and actual", async (testCase) => {
    const database = await migrated();
    await byHand(database.url, testCase.change);
    if (testCase.failing) {
      await expect(byHand(database.url, [testCase.failing.statement])).rejects.toThrow(
        testCase.failing.error,
      );
    }

    const report = await verifyAgainst(database.url, verifyFixtureFolder());

    expect(report.verdict).toBe("drift");
    expect(named(report)).toEqual(testCase.expected);
    expect(report.differences.every((difference) => difference.advice.length > 0)).toBe(true);
  });

  it("gives the statement that would make each match, as advice", async () => {
    const database = await migrated();
    await byHand(database.url, [
      `alter table accounts alter column seats set default 5`,
      `drop index projects_account_id_idx`,
    ]);

    const report = await verifyAgainst(database.url, verifyFixtureFolder());

    expect(report.differences.map((difference) => difference.advice)).toEqual([
      "ALTER TABLE public.accounts ALTER COLUMN seats SET DEFAULT 1;",
      "CREATE INDEX projects_account_id_idx ON public.projects USING btree (account_id);",
    ]);
  });
});

describe("db:verify's other verdicts", () => {
  it("a database its migrations built, untouched, matches (the app's own schema)", async () => {
    const database = await databases.create(MIGRATIONS_FOLDER);

    const report = await verifyAgainst(database.url, MIGRATIONS_FOLDER);

    expect(report).toMatchObject({ verdict: "match", differences: [], unusedAcknowledgements: [] });
    expect(report.schemas).toEqual(["drizzle", "public"]);
    expect(report.builtOn?.major).toBe(report.server.major);
  });

  it("an acknowledged difference is listed with its reason and does not fail", async () => {
    const database = await migrated();
    await byHand(database.url, [`create index accounts_name_idx on accounts (name)`]);
    const reason = "added during the 2026-11 incident; migration 0007 adopts it";

    const report = await verifyAgainst(database.url, verifyFixtureFolder(), {
      acknowledgements: [
        { code: "index.extra", object: "public.accounts_name_idx", reason },
        { code: "column.extra", object: "public.accounts.gone", reason: "stale" },
      ],
    });

    expect(report.verdict).toBe("match");
    expect(report.differences).toMatchObject([
      { code: "index.extra", object: "public.accounts_name_idx", acknowledged: reason },
    ]);
    expect(report.unusedAcknowledgements).toMatchObject([{ object: "public.accounts.gone" }]);
  });

  it("a schema the migrations never create is compared only when named (--schema)", async () => {
    const database = await migrated();
    await byHand(database.url, [
      `create schema reporting`,
      `create table reporting.totals (id int)`,
      `create index totals_id_idx on reporting.totals (id)`,
    ]);

    const unnamed = await verifyAgainst(database.url, verifyFixtureFolder());
    const report = await verifyAgainst(database.url, verifyFixtureFolder(), {
      schemas: ["reporting"],
    });

    expect(unnamed).toMatchObject({ verdict: "match", schemas: ["drizzle", "public"] });
    expect(report.verdict).toBe("drift");
    expect(report.schemas).toEqual(["drizzle", "public", "reporting"]);
    expect(named(report)).toEqual([
      { code: "schema.extra", object: "reporting", expected: null, actual: "schema reporting" },
      {
        code: "table.extra",
        object: "reporting.totals",
        expected: null,
        actual: "table reporting.totals",
      },
    ]);
  });

  it("a database behind its folder says so and compares only what it applied", async () => {
    const database = await migrated(1);

    const report = await verifyAgainst(database.url, verifyFixtureFolder());

    expect(report.verdict).toBe("match");
    expect(report.differences).toEqual([]);
    expect(report.sets).toMatchObject([
      { applied: ["0000_step-0"], pending: ["0001_step-1"], unknown: 0 },
    ]);
  });

  it("a database ahead of its folder cannot be verified, and says why instead of reporting drift", async () => {
    const database = await migrated(2);

    const report = await verifyAgainst(database.url, verifyFixtureFolder(1));

    expect(report.verdict).toBe("unverifiable");
    expect(report.reason).toMatch(/ahead of .*records 1 migration\(s\) this folder does not have/);
    expect(report.differences).toEqual([]);
  });
});
