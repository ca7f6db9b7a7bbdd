import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { MigrationCheckProblem } from "@tools/migration-check/check";
import { lintMigrationFolder } from "@tools/migration-check/lint";
import { type ListedWaiver, readListedWaivers } from "@tools/migration-check/lint/listed-waivers";
import { RULES } from "@tools/migration-check/lint/rules";
import { afterEach, describe, expect, it } from "vitest";
import { generatedFolder, v5PgFolder } from "../support/real-world-folders";

// The linter over real squawk runs: each case writes migration files into a fresh folder, as if
// they followed the committed ones (tables like users and sessions already exist).

const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Lints files named 0100_step-<n>.sql, in order. */
async function lint(...files: string[]): Promise<MigrationCheckProblem[]> {
  const folder = mkdtempSync(path.join(tmpdir(), "migration-lint-"));
  folders.push(folder);
  files.forEach((sql, i) => {
    writeFileSync(path.join(folder, `${String(100 + i).padStart(4, "0")}_step-${i}.sql`), sql);
  });
  return lintMigrationFolder(folder, "drizzle", []);
}

const NO_TRANSACTION = "-- no-transaction\n";

interface RuleCase {
  rule: string;
  unsafe: string;
  /** The rewrite docs/migrations.md recommends, as one or more migrations. */
  safe: string[];
}

const cases: RuleCase[] = [
  {
    rule: "require-concurrent-index-creation",
    unsafe: 'CREATE INDEX "users_name_idx" ON "users" USING btree ("name");',
    safe: [
      `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx" ON "users" USING btree ("name");`,
    ],
  },
  {
    rule: "require-concurrent-index-deletion",
    unsafe: 'DROP INDEX "users_name_idx";',
    safe: [`${NO_TRANSACTION}DROP INDEX CONCURRENTLY IF EXISTS "users_name_idx";`],
  },
  {
    rule: "constraint-missing-not-valid",
    unsafe: 'ALTER TABLE "users" ADD CONSTRAINT "users_name_check" CHECK (length("name") > 0);',
    safe: [
      'ALTER TABLE "users" ADD CONSTRAINT "users_name_check" CHECK (length("name") > 0) NOT VALID;',
      'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_check";',
    ],
  },
  {
    rule: "adding-foreign-key-constraint",
    unsafe:
      'ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id");',
    safe: [
      'ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") NOT VALID;',
      'ALTER TABLE "sessions" VALIDATE CONSTRAINT "sessions_owner_fk";',
    ],
  },
  {
    rule: "disallowed-unique-constraint",
    unsafe: 'ALTER TABLE "users" ADD CONSTRAINT "users_name_uidx" UNIQUE ("name");',
    safe: [
      `${NO_TRANSACTION}CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_name_uidx" ON "users" ("name");`,
      'ALTER TABLE "users" ADD CONSTRAINT "users_name_uidx" UNIQUE USING INDEX "users_name_uidx";',
    ],
  },
  {
    rule: "changing-column-type",
    unsafe: 'ALTER TABLE "users" ALTER COLUMN "name" SET DATA TYPE varchar(200);',
    safe: ['ALTER TABLE "users" ADD COLUMN "display_name" varchar(200);'],
  },
  {
    rule: "adding-not-nullable-field",
    unsafe: 'ALTER TABLE "users" ALTER COLUMN "image" SET NOT NULL;',
    safe: [
      'ALTER TABLE "users" ADD CONSTRAINT "users_image_not_null" CHECK ("image" IS NOT NULL) NOT VALID;',
      'ALTER TABLE "users" VALIDATE CONSTRAINT "users_image_not_null";',
      // squawk cannot see that the check was validated by an earlier migration: the waiver says so.
      [
        "-- lint-waiver adding-not-nullable-field: users_image_not_null is validated (0101), so Postgres skips the scan",
        'ALTER TABLE "users" ALTER COLUMN "image" SET NOT NULL;',
        "--> statement-breakpoint",
        'ALTER TABLE "users" DROP CONSTRAINT "users_image_not_null";',
      ].join("\n"),
    ],
  },
  {
    rule: "adding-required-field",
    unsafe: 'ALTER TABLE "users" ADD COLUMN "plan" text NOT NULL;',
    safe: ['ALTER TABLE "users" ADD COLUMN "plan" text DEFAULT \'free\' NOT NULL;'],
  },
  {
    rule: "adding-field-with-default",
    unsafe: 'ALTER TABLE "users" ADD COLUMN "public_id" uuid DEFAULT gen_random_uuid();',
    safe: [
      'ALTER TABLE "users" ADD COLUMN "public_id" uuid;\n--> statement-breakpoint\nALTER TABLE "users" ALTER COLUMN "public_id" SET DEFAULT gen_random_uuid();',
    ],
  },
  {
    rule: "ban-drop-column",
    unsafe: 'ALTER TABLE "users" DROP COLUMN "image";',
    safe: [
      '-- lint-waiver ban-drop-column: release 2026-12-01 stopped reading users.image (test:compat passed against it)\nALTER TABLE "users" DROP COLUMN "image";',
    ],
  },
  {
    rule: "ban-drop-table",
    unsafe: 'DROP TABLE "verifications";',
    safe: [
      '-- lint-waiver ban-drop-table: no release since 2026-12-01 reads verifications\nDROP TABLE "verifications";',
    ],
  },
  {
    rule: "renaming-column",
    unsafe: 'ALTER TABLE "users" RENAME COLUMN "image" TO "avatar_url";',
    safe: ['ALTER TABLE "users" ADD COLUMN "avatar_url" text;'],
  },
  {
    rule: "renaming-table",
    unsafe: 'ALTER TABLE "verifications" RENAME TO "verification_tokens";',
    safe: [
      'CREATE TABLE "verification_tokens" ("id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL);',
    ],
  },
  {
    rule: "syntax-error",
    unsafe: 'ALTER TABLE "users" ADD COLUM "plan" text;',
    safe: ['ALTER TABLE "users" ADD COLUMN "plan" text;'],
  },
];

describe("the migration linter", () => {
  it("has a case below for every rule it enforces", () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(Object.keys(RULES).sort());
  });

  it("links to a section of docs/migrations.md for every rule and for waivers", () => {
    const docs = readFileSync(path.resolve("docs/migrations.md"), "utf8");
    for (const anchor of [...Object.keys(RULES), "waivers"]) {
      expect(docs).toMatch(new RegExp(`^#+ ${anchor}$`, "im"));
    }
  });

  describe.each(cases)("$rule", ({ rule, unsafe, safe }) => {
    it("fails the unsafe statement, naming file, line, rule, the safe way and the docs", async () => {
      const problems = await lint("SELECT 1;\n--> statement-breakpoint\n", `\n${unsafe}\n`);

      // A UNIQUE or FOREIGN KEY constraint also breaks constraint-missing-not-valid.
      expect(problems).toContainEqual({
        check: "migration lint",
        problem: expect.stringMatching(
          new RegExp(`^drizzle/0101_step-1\\.sql:2 \\[${rule}\\] \\S`),
        ),
        fix: `${RULES[rule]} See docs/migrations.md#${rule}.`,
      });
      for (const { problem } of problems) expect(problem).toMatch(/^drizzle\/0101_step-1\.sql:2 /);
    });

    it("passes the safe rewrite", async () => {
      expect(await lint(...safe)).toEqual([]);
    });
  });

  it("lets statements through on a table created earlier in the same migration", async () => {
    const problems = await lint(
      [
        'CREATE TABLE "invoices" ("id" uuid PRIMARY KEY, "tenant_id" uuid, "total" integer);',
        'CREATE INDEX "invoices_tenant_id_idx" ON "invoices" ("tenant_id");',
        'ALTER TABLE "invoices" ADD CONSTRAINT "invoices_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id");',
        'ALTER TABLE "invoices" ADD CONSTRAINT "invoices_total_check" CHECK ("total" >= 0);',
        'ALTER TABLE "invoices" ADD COLUMN "number" text NOT NULL;',
        'ALTER TABLE "invoices" ALTER COLUMN "tenant_id" SET NOT NULL;',
        'ALTER TABLE "invoices" ALTER COLUMN "total" SET DATA TYPE bigint;',
        'ALTER TABLE "invoices" RENAME COLUMN "number" TO "invoice_number";',
      ].join("\n--> statement-breakpoint\n"),
    );

    expect(problems).toEqual([]);
  });

  it("still flags that table in a later migration, and any other table in the same one", async () => {
    const problems = await lint(
      'CREATE TABLE "invoices" ("id" uuid PRIMARY KEY, "total" integer);\n--> statement-breakpoint\nCREATE INDEX "users_name_idx" ON "users" ("name");',
      'CREATE INDEX "invoices_total_idx" ON "invoices" ("total");',
    );

    expect(problems).toHaveLength(1);
    expect(problems[0]?.problem).toMatch(
      /^\[require-concurrent-index-creation\] .* In 2 places:\n {4}drizzle\/0100_step-0\.sql:3 \[statement [0-9a-f]{16}\]\n {4}drizzle\/0101_step-1\.sql:1 \[statement [0-9a-f]{16}\]$/,
    );
  });

  describe("drizzle-kit's DO $$ ... duplicate_object wrappers (older drizzle-kit output)", () => {
    const wrapped = (statement: string) =>
      `DO $$ BEGIN\n ${statement}\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n`;
    const sessionsFk =
      'ALTER TABLE "sessions" ADD CONSTRAINT "sessions_owner_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;';

    it("lints a foreign key added to an existing table as if it stood alone, on its own line", async () => {
      const problems = await lint(
        `CREATE TABLE "notes" ("id" uuid PRIMARY KEY);\n--> statement-breakpoint\n${wrapped(sessionsFk)}`,
      );

      expect(problems.map((p) => p.problem.split(" ").slice(0, 2).join(" "))).toEqual([
        "drizzle/0100_step-0.sql:4 [constraint-missing-not-valid]",
        "drizzle/0100_step-0.sql:4 [adding-foreign-key-constraint]",
      ]);
    });

    it("lets it through on a table created earlier in the file, as a generated first migration has it", async () => {
      const problems = await lint(
        [
          "DO $$ BEGIN\n CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'happy');\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
          'CREATE TABLE IF NOT EXISTS "posts" ("id" serial PRIMARY KEY NOT NULL, "user_id" uuid, "mood" "mood");',
          wrapped(
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;',
          ),
        ].join("\n--> statement-breakpoint\n"),
      );

      expect(problems).toEqual([]);
    });

    it("a waiver inside the wrapper excuses the statement it wraps", async () => {
      const waived = `-- lint-waiver adding-foreign-key-constraint, constraint-missing-not-valid: sessions is empty in every deployment\n ${sessionsFk}`;

      expect(await lint(wrapped(waived))).toEqual([]);
    });

    it("leaves a DO block of someone's own PL/pgSQL alone", async () => {
      const problems = await lint(
        `DO $$ BEGIN\n IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporter') THEN\n  CREATE ROLE reporter;\n END IF;\nEND $$;`,
      );

      expect(problems).toEqual([]);
    });
  });

  describe("type changes that need no rewrite (binary-coercible)", () => {
    const created =
      'CREATE TABLE "accounts" ("id" uuid PRIMARY KEY, "name" varchar(16), "note" character varying(32), "code" text, "total" numeric(10, 2), "seen_at" timestamp (3) with time zone, "legacy" varchar(8), "count" integer);';

    it("passes a wider varchar, varchar to text, a wider numeric or timestamp precision, after a rename too", async () => {
      const problems = await lint(
        created,
        [
          'ALTER TABLE "accounts" ALTER COLUMN "name" SET DATA TYPE varchar(64);',
          'ALTER TABLE "accounts" ALTER COLUMN "note" SET DATA TYPE text;',
          'ALTER TABLE "accounts" ALTER COLUMN "code" TYPE varchar, ALTER COLUMN "total" TYPE numeric(12, 2);',
          'ALTER TABLE "accounts" ALTER COLUMN "seen_at" SET DATA TYPE timestamp with time zone;',
          'ALTER TABLE "accounts" RENAME COLUMN "legacy" TO "label";',
        ].join("\n--> statement-breakpoint\n"),
        'ALTER TABLE "accounts" RENAME TO "customers";\n--> statement-breakpoint\nALTER TABLE "customers" ALTER COLUMN "label" SET DATA TYPE varchar(9);',
      );

      expect(problems.map((p) => p.problem)).toEqual([
        expect.stringMatching(/^drizzle\/0101_step-1\.sql:9 \[renaming-column\]/),
        expect.stringMatching(/^drizzle\/0102_step-2\.sql:1 \[renaming-table\]/),
      ]);
    });

    it("still flags a narrower varchar, text to varchar(n), integer to bigint, a USING clause and a column it cannot follow", async () => {
      const problems = await lint(
        created,
        [
          'ALTER TABLE "accounts" ALTER COLUMN "name" SET DATA TYPE varchar(8);',
          'ALTER TABLE "accounts" ALTER COLUMN "code" SET DATA TYPE varchar(20);',
          'ALTER TABLE "accounts" ALTER COLUMN "count" SET DATA TYPE bigint;',
          'ALTER TABLE "accounts" ALTER COLUMN "note" SET DATA TYPE varchar(64) USING "note"::varchar(64);',
          'ALTER TABLE "users" ALTER COLUMN "name" SET DATA TYPE varchar(200);',
        ].join("\n--> statement-breakpoint\n"),
      );

      expect(problems).toHaveLength(1);
      expect(problems[0]?.problem).toMatch(/^\[changing-column-type\] .* In 5 places:/);
      for (const line of [1, 3, 5, 7, 9]) {
        expect(problems[0]?.problem).toContain(`drizzle/0101_step-1.sql:${line} [statement`);
      }
    });
  });

  describe("folders shaped like public ones (test/support/real-world-folders.ts)", () => {
    it("an old v5 folder: the DO-wrapped foreign key on an existing table and the plain index are found, the widened varchar is not", async () => {
      const { folder } = v5PgFolder();
      const problems = await lintMigrationFolder(folder, "drizzle", []);

      expect(problems.map((p) => p.problem.split(" ").slice(0, 2).join(" "))).toEqual([
        "drizzle/0001_wild_harpoon.sql:17 [constraint-missing-not-valid]",
        "drizzle/0001_wild_harpoon.sql:17 [adding-foreign-key-constraint]",
        "drizzle/0003_tasks_by_project.sql:1 [require-concurrent-index-creation]",
      ]);
    });

    it("a generated folder of 240 migrations: each finding once, then its 59 or 60 places", async () => {
      const { folder } = generatedFolder(240);
      const problems = await lintMigrationFolder(folder, "drizzle", []);

      expect(
        problems.map((p) => /^\[([a-z-]+)\] .* In (\d+) places:/s.exec(p.problem)?.slice(1)),
      ).toEqual([
        ["require-concurrent-index-creation", "60"],
        ["constraint-missing-not-valid", "59"],
        ["adding-foreign-key-constraint", "59"],
      ]);
      expect(problems[0]?.problem).toContain("\n    drizzle/0238_step_238.sql:1 [statement ");
    }, 60_000);
  });

  describe("waivers", () => {
    const dropImage = 'ALTER TABLE "users" DROP COLUMN "image";';

    it("a waiver with a reason excuses its own statement only", async () => {
      const problems = await lint(
        `-- lint-waiver ban-drop-column: release 2026-12-01 stopped reading users.image\n${dropImage}\n--> statement-breakpoint\nALTER TABLE "users" DROP COLUMN "name";`,
      );

      expect(problems.map((p) => p.problem)).toEqual([
        expect.stringMatching(/^drizzle\/0100_step-0\.sql:4 \[ban-drop-column\]/),
      ]);
    });

    it("a waiver inside the statement counts too", async () => {
      expect(
        await lint(
          `ALTER TABLE "users" -- lint-waiver ban-drop-column: nothing reads users.image since 2026-12-01\n  DROP COLUMN "image";`,
        ),
      ).toEqual([]);
    });

    it("a waiver without a reason fails, and excuses nothing", async () => {
      const problems = await lint(`-- lint-waiver ban-drop-column\n${dropImage}`);

      expect(problems.map((p) => p.problem)).toEqual([
        "drizzle/0100_step-0.sql:1 the waiver gives no reason (write -- lint-waiver <rule>[, <rule>]: <reason>: why this is safe here).",
        expect.stringMatching(/^drizzle\/0100_step-0\.sql:2 \[ban-drop-column\]/),
      ]);
    });

    it("an empty reason after the colon is no reason", async () => {
      const problems = await lint(`-- lint-waiver ban-drop-column:   \n${dropImage}`);

      expect(problems[0]?.problem).toContain("the waiver gives no reason");
    });

    it("a waiver naming a rule that is not enforced fails", async () => {
      const problems = await lint(`-- lint-waiver ban-drop-colum: typo\n${dropImage}`);

      expect(problems[0]?.problem).toBe(
        "drizzle/0100_step-0.sql:1 the waiver names rules db:check does not enforce: ban-drop-colum.",
      );
    });

    it("a waiver its statement does not need fails, so none outlives its reason", async () => {
      const problems = await lint(
        `-- lint-waiver ban-drop-column: left over\nALTER TABLE "users" ADD COLUMN "plan" text;`,
      );

      expect(problems.map((p) => p.problem)).toEqual([
        "drizzle/0100_step-0.sql:1 the waiver for ban-drop-column excuses nothing: its statement breaks no such rule.",
      ]);
    });

    it("squawk's own squawk-ignore comment, which takes no reason, fails", async () => {
      const problems = await lint(`-- squawk-ignore ban-drop-column\n${dropImage}`);

      expect(problems.map((p) => p.problem)).toContain(
        "drizzle/0100_step-0.sql:1 squawk-ignore silences a rule without a reason.",
      );
    });
  });

  describe("listed waivers, for committed migrations that cannot be edited", () => {
    const dropImage =
      'SELECT 1;\n--> statement-breakpoint\nALTER TABLE "users" DROP COLUMN "image";';
    const reason = "release 2026-12-01 stopped reading users.image";

    /** The hash db:check prints with the finding, as a developer would copy it. */
    async function printedHash(): Promise<string> {
      const [finding] = await lint(dropImage);
      const hash = /\[statement ([0-9a-f]{16})\]$/.exec(finding?.problem ?? "")?.[1];
      if (!hash) throw new Error(`no statement hash in ${finding?.problem}`);
      return hash;
    }

    async function lintListed(waivers: ListedWaiver[]): Promise<string[]> {
      const folder = mkdtempSync(path.join(tmpdir(), "migration-lint-"));
      folders.push(folder);
      writeFileSync(path.join(folder, "0100_drop-image.sql"), dropImage);
      return (await lintMigrationFolder(folder, "drizzle", waivers)).map((p) => p.problem);
    }

    it("an entry with the printed hash and a reason excuses that statement", async () => {
      const statement = await printedHash();
      const file = "0100_drop-image.sql";

      expect(await lintListed([{ file, statement, rules: ["ban-drop-column"], reason }])).toEqual(
        [],
      );
    });

    it("an entry without a reason, for another statement, or for a missing file fails", async () => {
      const statement = await printedHash();
      const file = "0100_drop-image.sql";
      const rules = ["ban-drop-column"];

      expect(await lintListed([{ file, statement, rules, reason: " " }])).toContainEqual(
        expect.stringContaining(`statement ${statement} gives no reason`),
      );
      expect(
        await lintListed([{ file, statement: "0123456789abcdef", rules, reason }]),
      ).toContainEqual(expect.stringContaining("matches no statement of that file"));
      expect(
        await lintListed([{ file: "0099_gone.sql", statement, rules, reason }]),
      ).toContainEqual(expect.stringContaining("drizzle/0099_gone.sql, which does not exist"));
    });

    it("an entry whose statement breaks none of its rules fails", async () => {
      const statement = await printedHash();
      const file = "0100_drop-image.sql";
      const rules = ["ban-drop-column", "renaming-column"];

      expect(await lintListed([{ file, statement, rules, reason }])).toEqual([
        expect.stringContaining("the waiver for renaming-column excuses nothing"),
      ]);
    });
  });

  describe("what the migrator refuses while pending (TRANSACTION_CONTROL, SESSION_CONTROL, CONCURRENTLY)", () => {
    const BREAK = "\n--> statement-breakpoint\n";

    it("fails a COMMIT and a SET LOCAL of a timeout with file, line, rule and the migrator's section", async () => {
      const problems = await lint(
        ["set local statement_timeout = 0;", "update users set name = '';", "commit;"].join(BREAK),
      );

      expect(problems).toEqual([
        {
          check: "migration lint",
          problem: expect.stringMatching(
            /^drizzle\/0100_step-0\.sql:1 \[session-control\] .*\(timeouts\).* \[statement [0-9a-f]{16}\]$/,
          ),
          fix: expect.stringContaining(
            "`-- migrator-allow <kind>: <why>` in the file (kinds: timeouts, session-reset, role, advisory-unlock). " +
              "The migrator refuses the migration while it is pending. See docs/migrations.md#session_control.",
          ),
        },
        {
          check: "migration lint",
          problem: expect.stringMatching(
            /^drizzle\/0100_step-0\.sql:5 \[transaction-control\] .* \[statement [0-9a-f]{16}\]$/,
          ),
          fix: expect.stringContaining("`-- no-transaction`"),
        },
      ]);
    });

    it("passes what the file opts into, and BEGIN … END in a DO block", async () => {
      const text = [
        "-- migrator-allow timeouts: the backfill scans the whole table\nset local statement_timeout = '1h';",
        "do $$ begin update users set name = ''; exception when others then null; end $$;",
      ].join(BREAK);
      expect(await lint(text)).toEqual([]);
    });

    it("fails each CONCURRENTLY statement of an unmarked file with its line and the migrator's section; passes it in a -- no-transaction file", async () => {
      const concurrently =
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_idx" ON "users" ("name");';
      const problems = await lint(
        [
          "-- no marker",
          'REFRESH MATERIALIZED VIEW CONCURRENTLY "weekly_totals";',
          concurrently,
          'DROP INDEX CONCURRENTLY IF EXISTS "users_old_idx";',
        ].join("\n"),
        `${NO_TRANSACTION}${concurrently}`,
      );

      expect(problems).toEqual([
        {
          check: "migration lint",
          problem: expect.stringMatching(
            /^\[concurrently\] The statement uses CONCURRENTLY, .* In 2 places:\n {4}drizzle\/0100_step-0\.sql:3 \[statement [0-9a-f]{16}\]\n {4}drizzle\/0100_step-0\.sql:4 \[statement [0-9a-f]{16}\]$/,
          ),
          fix: expect.stringContaining("`-- no-transaction`"),
        },
      ]);
      expect(problems[0]?.fix).toContain(
        "The migrator refuses the migration while it is pending. See docs/migrations.md#concurrently.",
      );
    });

    it.each([
      ["transaction-control", "commit;"],
      ["concurrently", 'CREATE INDEX CONCURRENTLY "a_idx" ON "users" ("name");'],
    ])(
      "refuses an inline waiver for %s, since the migrator would still refuse the file",
      async (rule, sql) => {
        const problems = await lint(`-- lint-waiver ${rule}: it was always like this\n${sql}`);

        expect(problems.map((p) => p.problem)).toEqual([
          expect.stringContaining(
            `drizzle/0100_step-0.sql:1 the waiver names ${rule}, which the migrator refuses in a pending migration`,
          ),
          expect.stringContaining(`drizzle/0100_step-0.sql:2 [${rule}]`),
        ]);
      },
    );

    it("a listed entry for the statement excuses it in that file only", async () => {
      const folder = mkdtempSync(path.join(tmpdir(), "migration-lint-"));
      folders.push(folder);
      const sql = "update users set name = trim(name);\ncommit;\n";
      writeFileSync(path.join(folder, "0100_old.sql"), sql);
      const [finding] = await lintMigrationFolder(folder, "drizzle", []);
      const statement = /\[statement ([0-9a-f]{16})\]$/.exec(finding?.problem ?? "")?.[1] ?? "";
      writeFileSync(path.join(folder, "0101_new.sql"), sql);
      const entry = {
        file: "0100_old.sql",
        statement,
        rules: ["transaction-control"],
        reason: "applied before adoption",
      };

      const problems = await lintMigrationFolder(folder, "drizzle", [entry]);

      expect(problems.map((p) => p.problem)).toEqual([
        expect.stringMatching(/^drizzle\/0101_new\.sql:2 \[transaction-control\] /),
      ]);
    });
  });

  it("passes the committed migrations with no waivers", async () => {
    const listed = readListedWaivers(path.resolve("."));
    expect(await lintMigrationFolder(path.resolve("drizzle"), "drizzle", listed)).toEqual([]);
  });
});
