import { MIGRATION_LOCK_KEY, MIGRATION_LOCK_PG_LOCKS } from "drizzle-boot-migrator";
import {
  BREAKPOINT,
  DRIZZLE_LEDGER,
  findConcurrently,
  findEscapes,
  type LedgerRow,
  type MigrationFile,
  planMigrations,
  usesConcurrently,
} from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";

const file = (
  index: number,
  when: number,
  statements = [`create table t${index} (id int)`],
): MigrationFile => ({
  tag: `000${index}_m${index}`,
  when,
  hash: `hash-${index}`,
  statements,
});
const row = (id: number, createdAt: number | null, hash = `hash-${id - 1}`): LedgerRow => ({
  id,
  hash,
  createdAt,
});
const strict = { allowUnknownApplied: false, ledger: DRIZZLE_LEDGER };
const codes = (files: MigrationFile[], rows: LedgerRow[], options = strict) =>
  planMigrations(files, rows, options).problems.map((problem) => problem.code);

describe("planMigrations", () => {
  const files = [file(0, 1000), file(1, 2000), file(2, 3000)];

  it("splits the folder into applied and pending by the ledger's created_at", () => {
    const plan = planMigrations(files, [row(1, 1000)], strict);
    expect(plan.applied.map((m) => m.tag)).toEqual(["0000_m0"]);
    expect(plan.pending.map((m) => m.tag)).toEqual(["0001_m1", "0002_m2"]);
    expect(plan).toMatchObject({ version: "0000_m0", total: 3, problems: [], unknown: [] });
  });

  it("tolerates a migration recorded twice with the same hash (an earlier unlocked race)", () => {
    expect(codes(files, [row(1, 1000), row(2, 1000, "hash-0")])).toEqual([]);
  });

  it("points at the changed journal entry when an unknown row has the hash of a pending file", () => {
    const redated = [file(0, 1000), file(1, 2500)];
    const [problem] = planMigrations(redated, [row(1, 1000), row(2, 2000)], strict).problems;
    expect(problem?.code).toBe("UNKNOWN_APPLIED");
    expect(problem?.message).toContain(
      'Its hash matches 0001_m1, whose journal "when" is now 2500',
    );
  });

  it("accepts unknown rows when allowed, but still refuses pending migrations older than them", () => {
    const allow = { allowUnknownApplied: true, ledger: DRIZZLE_LEDGER };
    expect(codes(files.slice(0, 1), [row(1, 1000), row(2, 2000, "other")], allow)).toEqual([]);
    expect(codes(files.slice(0, 2), [row(1, 1000), row(2, 2500, "other")], allow)).toEqual([
      "OUT_OF_ORDER",
    ]);
  });

  it("warns about an entry earlier than the newest before it, refuses one whose `when` repeats", () => {
    const plan = planMigrations(
      [file(0, 1000), file(1, 900), file(2, 1000), file(3, 2000)],
      [],
      strict,
    );
    const [repeated, ...others] = plan.problems;
    expect(others).toEqual([]);
    expect(repeated).toMatchObject({ code: "JOURNAL_ORDER", tag: "0002_m2" });
    expect(repeated?.message).toMatch(/0002_m2 has the same `when` as 0000_m0 \(when 1000, /);
    expect(plan.warnings).toEqual([
      expect.stringMatching(/0001_m1 \(when 900, .*\) follows 0000_m0 .* but is earlier/),
    ]);
    expect(plan.pending.map((pending) => pending.tag)).toHaveLength(4);
  });

  it("refuses an earlier entry that a -- no-transaction migration would make this migrator skip", () => {
    const split = [
      file(0, 1000),
      file(1, 3000, ["-- no-transaction\ncreate index concurrently if not exists i on t0 (id)"]),
      file(2, 2000),
    ];
    const [skipped, ...others] = planMigrations(split, [], strict).problems;
    expect(others).toEqual([]);
    expect(skipped).toMatchObject({ code: "JOURNAL_ORDER", tag: "0002_m2" });
    expect(skipped?.message).toContain("0002_m2 (when 1970-01-01T00:00:02.000Z) would be skipped");
    expect(skipped?.message).toContain("0001_m1 runs outside a transaction");
    const inOneBatch = [file(0, 1000), file(1, 3000), file(2, 2000)];
    expect(planMigrations(inOneBatch, [], strict).problems).toEqual([]);
    // Once the later one is applied, drizzle would skip the earlier one whatever the batches.
    expect(codes(inOneBatch, [row(1, 1000), row(2, 3000)])).toEqual(["OUT_OF_ORDER"]);
  });

  it("refuses a folder another ledger records, naming both ledgers and at most three tags", () => {
    const other = { schema: "public", table: "app_migrations" };
    const [problem, ...rest] = planMigrations(files, [], {
      ...strict,
      elsewhere: [{ ledger: other, records: files }],
    }).problems;
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ code: "LEDGER_ELSEWHERE", tag: "0000_m0" });
    expect(problem?.message).toContain(
      'The ledger is set to "drizzle"."__drizzle_migrations", which records no migration, but ' +
        '"public"."app_migrations" records 3 of the 3 migrations of this folder ' +
        "(0000_m0, 0001_m1, 0002_m2)",
    );
    const four = [...files, file(3, 4000)];
    expect(
      planMigrations(four, [], { ...strict, elsewhere: [{ ledger: other, records: four }] })
        .problems[0]?.message,
    ).toContain("(0000_m0, 0001_m1, 0002_m2, …)");
  });

  it("reports each problem of a messy folder", () => {
    const messy = [
      file(0, 1000),
      file(1, 900),
      file(2, 3000, ["create index concurrently i on t (c)"]),
    ];
    expect(
      codes(messy, [row(1, 1000, "edited"), row(2, null, "x"), row(3, 5000, "future")]),
    ).toEqual([
      "CHECKSUM_MISMATCH",
      "LEDGER_INVALID",
      "UNKNOWN_APPLIED",
      "OUT_OF_ORDER",
      "OUT_OF_ORDER",
      "CONCURRENTLY",
    ]);
  });
});

describe("usesConcurrently", () => {
  it.each([
    "CREATE INDEX CONCURRENTLY users_email_idx ON users (email)",
    'create unique index concurrently if not exists "a" on "t" ("c")',
    "DROP INDEX CONCURRENTLY users_email_idx",
    "REINDEX INDEX CONCURRENTLY users_email_idx",
    "ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY",
  ])("finds %s", (statement) => {
    expect(usesConcurrently(statement)).toBe(true);
  });

  it.each([
    "-- we will build this concurrently later\nCREATE INDEX users_email_idx ON users (email)",
    "/* not concurrently */ CREATE INDEX a ON t (c)",
    "INSERT INTO notes (body) VALUES ('done concurrently, it''s fine')",
    'ALTER TABLE t ADD COLUMN "concurrently" boolean',
    "ALTER TABLE t ADD COLUMN concurrently_flag boolean",
    "CREATE FUNCTION f() RETURNS void AS $body$ BEGIN EXECUTE 'reindex index concurrently i'; END $body$ LANGUAGE plpgsql",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY weekly_totals",
  ])("ignores %s", (statement) => {
    expect(usesConcurrently(statement)).toBe(false);
  });
});

describe("findConcurrently", () => {
  it("names each statement that uses CONCURRENTLY with its line, across chunks and within one", () => {
    const chunks = [
      "-- indexes\ncreate table a (id int);\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n",
      "\nREFRESH MATERIALIZED VIEW CONCURRENTLY v; drop index concurrently old_idx;\n",
      "\nselect 'create index concurrently';\n",
    ];
    const found = findConcurrently(chunks);

    expect(found.map(({ line, text }) => `${line}: ${text}`)).toEqual([
      "3: CREATE INDEX CONCURRENTLY a_idx ON a (id)",
      "5: drop index concurrently old_idx",
    ]);
    const text = chunks.join(BREAKPOINT);
    for (const { offset, text: statement } of found) {
      expect(text.slice(offset, offset + statement.length)).toBe(statement);
    }
  });
});

describe("findEscapes", () => {
  /** `kind@line` of each escape in a file of one chunk. */
  const escapesIn = (sql: string) =>
    findEscapes([sql]).map((found) => `${found.kind}@${found.line}`);

  it.each([
    ["BEGIN;", "transaction"],
    ["begin transaction isolation level serializable;", "transaction"],
    ["START TRANSACTION;", "transaction"],
    ["COMMIT;", "transaction"],
    ["commit prepared 'x';", "transaction"],
    ["END;", "transaction"],
    ["ROLLBACK;", "transaction"],
    ["ABORT;", "transaction"],
    ["SAVEPOINT s1;", "transaction"],
    ["RELEASE SAVEPOINT s1;", "transaction"],
    ["rollback to savepoint s1;", "transaction"],
    ["PREPARE TRANSACTION 'x';", "transaction"],
    ["SET lock_timeout = 0;", "timeouts"],
    ["set local statement_timeout to '1h';", "timeouts"],
    ['SET SESSION "idle_in_transaction_session_timeout" = 0;', "timeouts"],
    ["RESET statement_timeout;", "timeouts"],
    ["select set_config('lock_timeout', '0', true);", "timeouts"],
    ["RESET ALL;", "session-reset"],
    ["DISCARD ALL;", "session-reset"],
    ["SET ROLE admin;", "role"],
    ["set local role admin;", "role"],
    ["SET SESSION AUTHORIZATION admin;", "role"],
    ["RESET ROLE;", "role"],
    ["SELECT pg_advisory_unlock_all();", "advisory-unlock"],
    ["select pg_advisory_unlock(4026692762179956003);", "advisory-unlock"],
    ["DO $$ BEGIN PERFORM pg_advisory_unlock_all(); END $$;", "advisory-unlock"],
    ["DO $do$ BEGIN IF true THEN SET LOCAL lock_timeout = 0; END IF; END $do$;", "timeouts"],
  ])("finds %s", (sql, kind) => {
    expect(escapesIn(`create table a (id int);\n${sql}`)).toEqual([`${kind}@2`]);
  });

  it.each([
    "DO $$ BEGIN ALTER TABLE a ADD CONSTRAINT a_fk FOREIGN KEY (b) REFERENCES b(id); EXCEPTION WHEN duplicate_object THEN null; END $$;",
    "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.updated = now(); RETURN NEW; END; $body$ LANGUAGE plpgsql;",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;",
    "CREATE FUNCTION h() RETURNS void AS $$ SELECT pg_advisory_unlock_all() $$ LANGUAGE sql;",
    "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT pg_advisory_unlock_all(); END;",
    "INSERT INTO notes (body) VALUES ('commit; set lock_timeout = 0'), (E'it\\'s; rollback');",
    '-- commit;\n/* rollback; /* nested */ end; */ ALTER TABLE "commit" ADD COLUMN "end" int;',
    "UPDATE roles SET role = 'admin';",
    "ALTER ROLE app SET statement_timeout = '5s';",
    "SET search_path TO public;",
    "SET LOCAL work_mem = '64MB';",
    "REFRESH MATERIALIZED VIEW weekly_totals;",
  ])("allows %s", (sql) => {
    expect(escapesIn(sql)).toEqual([]);
  });

  it("counts lines across statement breakpoints, as the file has them", () => {
    const escapes = findEscapes([
      "create table a (id int);\n",
      "\ncreate table b (id int);\ncommit;",
    ]);
    expect(escapes).toEqual([{ kind: "transaction", line: 4, offset: 75, text: "commit" }]);
  });

  it("lets a file opt into the kinds its marker names, never into transaction statements", () => {
    const sql = [
      "-- migrator-allow timeouts, role: the backfill needs longer, as the owner",
      "SET LOCAL statement_timeout = '1h';",
      "SET ROLE owner;",
      "DISCARD ALL;",
      "COMMIT;",
    ].join("\n");
    expect(escapesIn(sql)).toEqual(["session-reset@4", "transaction@5"]);
    expect(escapesIn(sql.replace(": the backfill needs longer, as the owner", ""))).toHaveLength(4);
    expect(escapesIn("-- migrator-allow transaction: we know\nCOMMIT;")).toEqual(["transaction@2"]);
  });

  it("finds transaction statements in a -- no-transaction file too", () => {
    expect(
      escapesIn("-- no-transaction\nBEGIN;\nUPDATE a SET b = 1;\nCOMMIT;\nRESET ALL;"),
    ).toEqual(["transaction@2", "transaction@4", "session-reset@5"]);
  });
});

describe("the migration lock key", () => {
  it("is the first 8 bytes of SHA-256('drizzle.__drizzle_migrations'), as documented", () => {
    expect(MIGRATION_LOCK_KEY).toBe(4026692762179956003n);
    expect(MIGRATION_LOCK_PG_LOCKS).toEqual({ classid: 937537467, objid: 2640276771, objsubid: 1 });
  });
});
