import path from "node:path";
import { DRIZZLE_LEDGER } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { forkMigrations, upstreamMigrations } from "../support/migration-sets";
import {
  emptyDatabasePerTest,
  eventually,
  eventuallyWhileRunning,
  FIXTURE_T0,
  type FixtureMigration,
  ledgerWhens,
  migrationLockHolders,
  migrationName,
  migratorBackendRunning,
  recordedWhen,
  runMigratorCli,
  startBoot,
  startMigratorCli,
  tableExists,
  whilePaused,
  withSql,
  writeBootDirectory,
  writeMigrationFolder,
} from "../support/migrator";

const db = emptyDatabasePerTest();

describe("many processes booting at once", () => {
  // What raced in plain drizzle migrate(): CREATE TYPE / CREATE TABLE hitting pg_type's unique index.
  const migrations: FixtureMigration[] = [
    {
      tag: "0000_types",
      when: FIXTURE_T0,
      statements: [
        "create type report_status as enum ('draft', 'sent')",
        "create table reports (id serial primary key, status report_status not null)",
      ],
    },
    {
      tag: "0001_index",
      when: FIXTURE_T0 + 1000,
      statements: ["create index reports_idx on reports (status)"],
    },
    {
      tag: "0002_column",
      when: FIXTURE_T0 + 2000,
      statements: ["alter table reports add column title text"],
    },
  ];

  it("16 processes on an empty database: all succeed, each migration recorded and run once", async () => {
    const folder = writeMigrationFolder(migrations);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        runMigratorCli("migrate", { url: db.url, folder }).then((r) => r),
      ),
    );
    console.log(
      `[measure] 16 concurrent db:migrate processes: ${Math.round(performance.now() - started)} ms wall`,
    );

    for (const result of results) {
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toMatch(/error|failed/i);
    }
    expect(await ledgerWhens(db.url)).toEqual(migrations.map((m) => m.when));
    for (const migration of migrations) {
      const name = migrationName(migration);
      const ran = results.filter((r) => r.stdout.includes(`[migrate] ran ${name} `));
      expect(ran, `processes that ran ${name}`).toHaveLength(1);
    }
    const outcomes = results.map((r) =>
      r.stdout.includes("[migrate] done: applied 3")
        ? "applied"
        : /another instance applied|is up to date/.test(r.stdout)
          ? "saw it done"
          : "unexplained",
    );
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes).not.toContain("unexplained");
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});

describe("a migration interrupted in the middle", () => {
  // The second statement sleeps only while the marker table exists, so the next run is quick.
  const slow = (sleepSeconds: number): FixtureMigration => ({
    tag: "0000_slow",
    when: FIXTURE_T0,
    statements: [
      "create table slow_target (id int)",
      `select pg_sleep(case when to_regclass('public.go_slow') is null then 0 else ${sleepSeconds} end)`,
    ],
  });
  const slowFolder = (sleepSeconds = 120) => writeMigrationFolder([slow(sleepSeconds)]);

  /** Starts the migrator on the slow migration; resolves with its backend pid once it sleeps. */
  async function migratorInsideSlowStatement(folder: string, env: Record<string, string> = {}) {
    await withSql(db.url, (sql) => sql`create table go_slow ()`);
    const migrator = startMigratorCli("migrate", { url: db.url, folder, env });
    let backendPid = 0;
    await eventuallyWhileRunning(migrator, "the migrator is inside pg_sleep", async () => {
      backendPid = (await migratorBackendRunning(db.url, "pg_sleep")) ?? 0;
      return backendPid !== 0;
    });
    expect(await migrationLockHolders(db.url)).toHaveLength(1);
    return { migrator, backendPid };
  }

  async function expectNothingLeftThenCleanRun(folder: string) {
    // The lock goes with the session; Postgres rolled the transaction back.
    await eventually("the interrupted session's lock is gone", async () => {
      return (await migrationLockHolders(db.url)).length === 0;
    });
    expect(await tableExists(db.url, "slow_target")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual([]);

    await withSql(db.url, (sql) => sql`drop table go_slow`);
    const next = await runMigratorCli("migrate", { url: db.url, folder });
    expect(next.code, next.output).toBe(0);
    expect(await tableExists(db.url, "slow_target")).toBe(true);
    expect(await ledgerWhens(db.url)).toEqual([FIXTURE_T0]);
  }

  it("by SIGKILL: no partial schema, no ledger row, no lock; the next run applies cleanly", async () => {
    const folder = slowFolder();
    const { migrator } = await migratorInsideSlowStatement(folder);
    migrator.child.kill("SIGKILL");
    expect((await migrator.exited).signal).toBe("SIGKILL");
    // Without client_connection_check_interval the backend would sleep on for 120 s, holding
    // the transaction and the lock; `eventually` gives up after 20 s.
    await expectNothingLeftThenCleanRun(folder);
  });

  it("by the database ending its session: CONNECTION_LOST, exit 1, and nothing is left", async () => {
    const folder = slowFolder();
    const { migrator, backendPid } = await migratorInsideSlowStatement(folder);
    await withSql(db.url, (sql) => sql`select pg_terminate_backend(${backendPid})`);
    const result = await migrator.exited;
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("[migrate] failed (CONNECTION_LOST)");
    expect(result.stderr).toContain("nothing of this run was applied");
    await expectNothingLeftThenCleanRun(folder);
  });

  it("by a pause (SIGSTOP): the idle timeout frees the lock, another process applies everything, the paused one then exits non-zero and writes nothing", async () => {
    // Paused inside a 6 s statement: it ends, and the session then sits idle in its transaction.
    // Shorter, a loaded machine's polls (each a connection of its own) can miss the statement.
    const folder = slowFolder(6);
    // 3 s: with 1 s, a loaded machine's pause between the lock and the slow statement (the
    // migrator's own work inside its transaction) was itself ended as idle, before the test paused it.
    const { migrator: paused } = await migratorInsideSlowStatement(folder, {
      MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS: "3000",
    });
    const { value: next, resumed } = await whilePaused(paused, async () => {
      await withSql(db.url, (sql) => sql`drop table go_slow`);
      return runMigratorCli("migrate", {
        url: db.url,
        folder,
        env: { MIGRATION_LOCK_WAIT_MS: "20000" },
      });
    });
    expect(next.code, next.output).toBe(0);
    expect(next.stdout).toContain(`[migrate] ran ${migrationName(slow(2))} `);
    expect(resumed.code, resumed.output).toBe(1);
    expect(resumed.stderr).toContain("[migrate] failed (CONNECTION_LOST)");
    expect(resumed.stderr).toContain("MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS=3000");
    expect(resumed.stdout).not.toContain("committed");
    expect(await ledgerWhens(db.url)).toEqual([FIXTURE_T0]);
    expect(await tableExists(db.url, "slow_target")).toBe(true);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});

describe("two processes set to different ledgers, at once", () => {
  it("the one lock per database makes the second find the first's ledger and refuse (LEDGER_ELSEWHERE)", async () => {
    // Idempotent, so that only the guard stops a second apply. The first keeps the lock until
    // another session waits for an advisory lock (the second migrator), however slowly the
    // second process starts: a fixed sleep was sometimes over before it arrived. Only a waiter on
    // this test's database counts: other files' migrators wait on the same server.
    const folder = writeMigrationFolder([
      {
        tag: "0000_slow",
        when: FIXTURE_T0,
        statements: [
          "create table if not exists step_0 (id int)",
          `do $$ begin
            while not exists (
              select from pg_locks
              where locktype = 'advisory' and not granted
                and database = (select oid from pg_database where datname = current_database())
            ) loop
              perform pg_sleep(0.05);
            end loop;
          end $$`,
        ],
      },
      {
        tag: "0001_step-1",
        when: FIXTURE_T0 + 1000,
        statements: ["create table if not exists step_1 (id int)"],
      },
    ]);
    const first = startMigratorCli("migrate", { url: db.url, folder });
    await eventuallyWhileRunning(
      first,
      "the first migrator sleeps in its migration",
      async () => (await migratorBackendRunning(db.url, "pg_sleep")) !== undefined,
    );
    const args = ["--migrations-schema", "public", "--migrations-table", "app_migrations"];
    const second = await runMigratorCli("migrate", { url: db.url, folder, args });
    const firstResult = await first.exited;

    expect(firstResult.code, firstResult.output).toBe(0);
    expect(second.code, second.output).toBe(1);
    expect(second.stdout).toContain("waiting for the migration lock");
    expect(second.stderr).toContain(
      'failed (LEDGER_ELSEWHERE): The ledger is set to "public"."app_migrations", which records ' +
        'no migration, but "drizzle"."__drizzle_migrations" records 2 of the 2 migrations',
    );
    expect(await ledgerWhens(db.url, { schema: "public", table: "app_migrations" })).toEqual([]);
  }, 120_000); // Two CLI processes, each of whose starts may take most of the 40 s wait above.
});

describe("two migration sets in one database (an upstream folder, then a fork's)", () => {
  it("4 boots at once apply each set once, in order, each into its own ledger; db:status shows each set", async () => {
    const upstream = {
      migrationsFolder: writeMigrationFolder(upstreamMigrations),
      ledger: { schema: "upstream", table: "__drizzle_migrations" },
    };
    const dir = writeBootDirectory(forkMigrations);
    const fork = { migrationsFolder: path.join(dir, "drizzle"), ledger: DRIZZLE_LEDGER };

    const boots = await Promise.all(
      Array.from({ length: 4 }, () => startBoot(db.url, dir, {}, [upstream, fork]).exited),
    );

    for (const boot of boots) expect(boot.code, boot.output).toBe(0);
    // Each line names its set: its folder, relative to the boot's working directory if inside it.
    expect(boots[0]?.stdout).toContain(`[migrate] ${upstream.migrationsFolder}: `);
    expect(boots[0]?.stdout).toContain("[migrate] drizzle: ");
    expect(await ledgerWhens(db.url, upstream.ledger)).toEqual(
      upstreamMigrations.map(recordedWhen),
    );
    expect(await ledgerWhens(db.url)).toEqual(forkMigrations.map(recordedWhen));
    for (const migration of [...upstreamMigrations, ...forkMigrations]) {
      const name = migrationName(migration);
      const ran = boots.filter((boot) => boot.stdout.includes(`: ran ${name} `));
      expect(ran, `boots that ran ${name}`).toHaveLength(1);
    }

    const args = [
      ...["--migrations-folder", upstream.migrationsFolder, "--migrations-schema", "upstream"],
      ...["--migrations-folder", fork.migrationsFolder, "--migrations-schema", "drizzle"],
    ];
    const status = await runMigratorCli("status", { url: db.url, args });
    expect(status.code, status.output).toBe(0);
    const [upstreamVersion, forkVersion] = [upstreamMigrations[1], forkMigrations[0]].map(
      (migration) => migrationName(migration as FixtureMigration),
    );
    expect(status.stdout).toMatch(
      new RegExp(
        `set 1 of 2: /.*migrator-fixture-\\w+\\n.*\\nledger: {3}"upstream"\\."__drizzle_migrations"\\nversion: {2}${upstreamVersion}\\n[\\s\\S]*applied \\(2\\):`,
      ),
    );
    expect(status.stdout).toMatch(
      new RegExp(
        `set 2 of 2: /.*migrator-boot-\\w+/drizzle\\n.*\\nledger: {3}"drizzle"\\."__drizzle_migrations"\\nversion: {2}${forkVersion}\\n[\\s\\S]*applied \\(1\\):[\\s\\S]*pending \\(0\\):\\nproblems \\(0\\):`,
      ),
    );
  });
});
