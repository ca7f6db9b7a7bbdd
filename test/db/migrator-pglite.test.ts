import type { PGlite } from "@electric-sql/pglite";
import {
  MIGRATION_LOCK_PG_LOCKS,
  MigrationError,
  migratorSettings,
  runMigrator,
  silentLog,
} from "drizzle-boot-migrator";
import { pgliteDriver } from "drizzle-boot-migrator/pglite";
import { describe, expect, it } from "vitest";
import {
  type FixtureMigration,
  fixtureMigration,
  linesLog,
  noTransactionMigration,
  writeMigrationFolder,
} from "../support/migrator";
import { pglitePerTest } from "../support/pglite";
import { onlyWhere } from "../support/system-tools";

// The migrator on PGlite (pgliteDriver): Postgres in this process, one database with one
// connection. drizzle's pglite session writes the ledger. What needs a server reached over TCP
// (other sessions, other processes, poolers, timers) is listed at the end as not applying.

const pglite = pglitePerTest();

const settingsFor = (migrations: FixtureMigration[], overrides = {}) =>
  migratorSettings({
    url: "pglite://memory",
    migrationsFolder: writeMigrationFolder(migrations),
    ...overrides,
  });

const apply = (db: PGlite, settings: ReturnType<typeof settingsFor>, log = silentLog) =>
  runMigrator(settings, { mode: "apply", log, driver: pgliteDriver(db) });

async function rows<Row>(db: PGlite, text: string): Promise<Row[]> {
  return (await db.query<Row>(text)).rows;
}

/** drizzle's ledger as `created_at` values in id order; [] when there is none. */
async function ledgerWhens(db: PGlite): Promise<number[]> {
  const [ledger] = await rows<{ found: boolean }>(
    db,
    "select to_regclass('drizzle.__drizzle_migrations') is not null as found",
  );
  if (!ledger?.found) return [];
  const ledgerRows = await rows<{ created_at: string }>(
    db,
    "select created_at::text from drizzle.__drizzle_migrations order by id",
  );
  return ledgerRows.map((row) => Number(row.created_at));
}

async function tableExists(db: PGlite, table: string): Promise<boolean> {
  const [row] = await rows<{ found: boolean }>(
    db,
    `select to_regclass('public.${table}') is not null as found`,
  );
  return row?.found ?? false;
}

/** The migration lock's rows of `pg_locks`, as SQL a migration can run to record them. */
const { classid, objid, objsubid } = MIGRATION_LOCK_PG_LOCKS;
const LOCK_ROWS = `from pg_locks where locktype = 'advisory'
  and classid = ${classid} and objid = ${objid} and objsubid = ${objsubid}`;
const recordLockRows = (table: string) =>
  `create table ${table} as select pid, granted, mode ${LOCK_ROWS}`;

describe("pgliteDriver(db)", () => {
  it("applies at boot and records the ledger as drizzle does; then the fast path writes nothing", async () => {
    const db = await pglite.open();
    const migrations = [fixtureMigration(0), fixtureMigration(1)];
    const settings = settingsFor(migrations);
    const lines: string[] = [];
    const first = await apply(db, settings, linesLog(lines));
    expect(first).toMatchObject({
      appliedNow: ["0000_step-0", "0001_step-1"],
      version: "0001_step-1",
      pending: [],
    });
    expect(lines[0]).toMatch(/^\[migrate\] connected to PGlite memory \(url\) in \d+ ms/);
    expect(await ledgerWhens(db)).toEqual(migrations.map((migration) => migration.when));
    expect(await tableExists(db, "step_1")).toBe(true);

    const again: string[] = [];
    const second = await apply(db, settings, linesLog(again));
    expect(second).toMatchObject({ appliedNow: [], version: "0001_step-1", pending: [] });
    expect(again).toEqual([
      expect.stringMatching(/^\[migrate\] PGlite memory \(url\) is up to date at 0001_step-1/),
    ]);
    expect(await ledgerWhens(db)).toEqual(migrations.map((migration) => migration.when));
  });

  it("check mode reports what is pending and writes nothing, not even the ledger", async () => {
    const db = await pglite.open();
    const report = await runMigrator(settingsFor([fixtureMigration(0)]), {
      mode: "check",
      log: silentLog,
      driver: pgliteDriver(db),
    });
    expect(report).toMatchObject({ appliedNow: [], pending: ["0000_step-0"] });
    expect(await rows(db, "select 1 from pg_namespace where nspname = 'drizzle'")).toEqual([]);
  });

  it("holds the migration lock while it applies, and releases it at commit", async () => {
    const db = await pglite.open();
    await apply(db, settingsFor([fixtureMigration(0, [recordLockRows("locks_seen")])]));
    expect(await rows(db, "select granted, mode from locks_seen")).toEqual([
      { granted: true, mode: "ExclusiveLock" },
    ]);
    expect(await rows(db, `select pid ${LOCK_ROWS}`)).toEqual([]);
  });

  it("a failing statement rolls the batch back: MIGRATION_FAILED, schema and ledger as they were", async () => {
    const db = await pglite.open();
    const migrations = [
      fixtureMigration(0),
      fixtureMigration(1, ["create table step_1 (id int)", "select 1 / 0"]),
    ];
    const failure = await apply(db, settingsFor(migrations)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ code: "MIGRATION_FAILED", sqlState: "22012" });
    expect(await tableExists(db, "step_0")).toBe(false);
    expect(await ledgerWhens(db)).toEqual([]);
    expect(await rows(db, `select pid ${LOCK_ROWS}`)).toEqual([]);
  });

  it("runs a -- no-transaction migration (CREATE INDEX CONCURRENTLY) under the session lock, records it once", async () => {
    const db = await pglite.open();
    const migrations = [
      fixtureMigration(0),
      noTransactionMigration(1, [
        "create index concurrently step_0_id_idx on step_0 (id)",
        recordLockRows("session_locks_seen"),
      ]),
      fixtureMigration(2),
    ];
    const report = await apply(db, settingsFor(migrations));
    expect(report.appliedNow).toEqual(migrations.map((migration) => migration.tag));
    expect(await ledgerWhens(db)).toEqual(migrations.map((migration) => migration.when));
    expect(
      await rows(
        db,
        "select indisvalid from pg_index where indexrelid = 'step_0_id_idx'::regclass",
      ),
    ).toEqual([{ indisvalid: true }]);
    expect(await rows(db, "select granted from session_locks_seen")).toEqual([{ granted: true }]);
    expect(await rows(db, `select pid ${LOCK_ROWS}`)).toEqual([]);
  });

  it("refuses an applied migration edited since (CHECKSUM_MISMATCH) and applies nothing after it", async () => {
    const db = await pglite.open();
    await apply(db, settingsFor([fixtureMigration(0)]));
    const edited = [fixtureMigration(0, ["create table step_0 (id bigint)"]), fixtureMigration(1)];
    const failure = await apply(db, settingsFor(edited)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "CHECKSUM_MISMATCH", tag: "0000_step-0" });
    expect(await tableExists(db, "step_1")).toBe(false);
    expect(await ledgerWhens(db)).toEqual([fixtureMigration(0).when]);
  });

  it("two migrators on one instance at once: one applies each migration, the other finds it done", async () => {
    const db = await pglite.open();
    const migrations = [
      fixtureMigration(0),
      noTransactionMigration(1, ["create index concurrently step_0_id_idx on step_0 (id)"]),
      fixtureMigration(2),
    ];
    const settings = settingsFor(migrations);
    const reports = await Promise.all([apply(db, settings), apply(db, settings)]);
    expect(reports.flatMap((report) => report.appliedNow).sort()).toEqual(
      migrations.map((migration) => migration.tag),
    );
    expect(await ledgerWhens(db)).toEqual(migrations.map((migration) => migration.when));
  });

  it("sets statement_timeout as on a server, which PGlite accepts but does not enforce", async () => {
    // The README says so: on PGlite a statement runs to its end. If PGlite starts enforcing it,
    // this fails, and the README's PGlite row changes with it.
    const db = await pglite.open();
    const lines: string[] = [];
    const settings = settingsFor([fixtureMigration(0, ["select pg_sleep(1.5)"])], {
      statementTimeoutMs: 500,
    });
    const report = await apply(db, settings, linesLog(lines));
    expect(report.appliedNow).toEqual(["0000_step-0"]);
    expect(lines).toContainEqual(expect.stringMatching(/statement_timeout 500ms/));
  });
});

/**
 * What the migrator's suite covers on a server (MIGRATOR_SUITE in vitest.config.ts) that has no
 * meaning on PGlite: listed in the run's skip summary, with the reason.
 */
const IN_PROCESS = "does not apply: PGlite is in-process";
const notOnPglite: [what: string, reason: string][] = [
  [
    "waiting for the lock held by another session (LOCK_WAIT_TIMEOUT, migrate.lock_wait)",
    `${IN_PROCESS}, one session shared by every user of the instance; a second migrator waits for the first's session`,
  ],
  [
    "migrators in several processes at once",
    `${IN_PROCESS}: a data directory is opened by one process at a time`,
  ],
  [
    "a frozen session losing the lock to the idle timeouts (CONNECTION_LOST)",
    `${IN_PROCESS}: it enforces no idle or statement timeouts, and a frozen process freezes its database too`,
  ],
  [
    "cancelling a statement from another connection",
    `${IN_PROCESS} with one connection: there is no other to cancel from`,
  ],
  ["PgBouncer and other poolers", `${IN_PROCESS}: nothing stands between it and the app`],
  [
    "wrong targets: a standby, a read-only or TLS-only server, a missing role or database",
    `${IN_PROCESS}: no server, no network, no roles to connect as`,
  ],
];
describe("on PGlite, what needs a server", () => {
  for (const [what, reason] of notOnPglite) {
    describe(what, onlyWhere(false, reason), () => {
      it("is covered on a server by the migrator's suite", () => {});
    });
  }
});
