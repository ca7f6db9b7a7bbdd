import { describe, expect, it } from "vitest";
import { DRIZZLE_LEDGER, type LedgerRow, type MigrationFile } from "@/lib/db/migrator/drizzle-0.45";
import { MIGRATION_LOCK_KEY, MIGRATION_LOCK_PG_LOCKS } from "@/lib/db/migrator/lock";
import { planMigrations, usesConcurrently } from "@/lib/db/migrator/validation";

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

  it("refuses every journal entry not later than the newest before it, as db:check does", () => {
    const [first, second] = planMigrations(
      [file(0, 1000), file(1, 900), file(2, 950), file(3, 2000)],
      [],
      strict,
    ).problems;
    expect(first).toMatchObject({ code: "JOURNAL_ORDER", tag: "0001_m1" });
    expect(second).toMatchObject({ code: "JOURNAL_ORDER", tag: "0002_m2" });
    expect(second?.message).toMatch(/0002_m2 \(when 950, .*\) follows 0000_m0 .* but is not later/);
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
      "JOURNAL_ORDER",
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

describe("the migration lock key", () => {
  it("is the first 8 bytes of SHA-256('drizzle.__drizzle_migrations'), as documented", () => {
    expect(MIGRATION_LOCK_KEY).toBe(4026692762179956003n);
    expect(MIGRATION_LOCK_PG_LOCKS).toEqual({ classid: 937537467, objid: 2640276771, objsubid: 1 });
  });
});
