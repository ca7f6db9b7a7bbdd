import {
  buildWindow,
  type IndexBuildWatch,
  insertsWithin,
  type ProgressSample,
  watchIndexBuilds,
} from "@tools/load/index-build-progress";
import {
  countLoadRows,
  createLoadTable,
  LOAD_TABLE,
  startWriter,
  type WriterResult,
} from "@tools/load/write-load";
import { MIGRATION_LOCK_KEY } from "drizzle-boot-migrator";
import { describe, expect, it } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { applyMigrations } from "../support/database";
import {
  emptyDatabasePerTest,
  eventually,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  migrationFile,
  migrationLockHolders,
  migrationName,
  noTransactionMigration,
  runMigratorCli,
  startBoot,
  startMigratorCli,
  tableExists,
  withSql,
  writeBootDirectory,
  writeMigrationFolder,
} from "../support/migrator";
import type { ProcessResult } from "../support/processes";

const ROWS = 300_000;
const INDEX = "load_events_payload_idx";

const before = fixtureMigration(0, ["create table before_index (id int)"]);
const buildIndex = noTransactionMigration(1, [
  `create index concurrently if not exists ${INDEX} on ${LOAD_TABLE} (payload)`,
]);
const after = fixtureMigration(2, ["create table after_index (id int)"]);
const withIndex = [before, buildIndex, after];
const allWhens = withIndex.map((migration) => migration.when);

const db = emptyDatabasePerTest();

type IndexState = "missing" | "valid" | "invalid";

function indexState(url: string, name: string): Promise<IndexState> {
  return withSql(url, async (sql) => {
    const [row] = await sql<{ valid: boolean }[]>`
      select indisvalid as valid from pg_index where indexrelid = to_regclass(${name})`;
    if (!row) return "missing";
    return row.valid ? "valid" : "invalid";
  });
}

interface UnderLoad {
  result: ProcessResult;
  writes: WriterResult;
  samples: ProgressSample[];
}

/**
 * Runs `migrate` while a writer inserts into the 300,000-row table and a watcher samples
 * `pg_stat_progress_create_index` for it.
 */
async function underWriteLoad(
  migrate: (watch: IndexBuildWatch) => Promise<ProcessResult>,
): Promise<UnderLoad> {
  const writer = startWriter(db.url);
  const watch = watchIndexBuilds(db.url, LOAD_TABLE);
  try {
    await eventually("the writer is inserting", async () => writer.completed >= 20);
    const result = await migrate(watch);
    return { result, samples: await watch.stop(), writes: await writer.stop() };
  } finally {
    await watch.stop();
    await writer.stop();
  }
}

/** What a user checks: every insert landed, and inserts kept completing while the index built. */
async function expectWritesFlowedDuringTheBuild({ writes, samples }: UnderLoad, label: string) {
  expect(writes.failures).toEqual([]);
  expect(await countLoadRows(db.url)).toBe(ROWS + writes.inserts.length);
  const window = buildWindow(samples);
  expect(window, "the watcher saw the build in progress").toBeDefined();
  if (!window) return;
  expect(new Set(samples.map((sample) => sample.command))).toEqual(
    new Set(["CREATE INDEX CONCURRENTLY"]),
  );
  const during = insertsWithin(writes.inserts, window);
  console.log(
    `[measure] ${label}: build seen for ${Math.round(window.end - window.start)} ms ` +
      `(${samples.length} samples, phases: ${[...new Set(samples.map((s) => s.phase))].join(" → ")}); ` +
      `${during.length} of ${writes.inserts.length} inserts started and completed within it`,
  );
  expect(
    during.length,
    "inserts that started and completed while the index was building",
  ).toBeGreaterThanOrEqual(5);
}

describe("CREATE INDEX CONCURRENTLY on a 300,000-row table with a writer inserting", () => {
  it("through db:migrate: the migrations before and after run, the index is valid, no insert waited for the build", async () => {
    await createLoadTable(db.url, ROWS);
    const folder = writeMigrationFolder(withIndex);
    const load = await underWriteLoad(() => runMigratorCli("migrate", { url: db.url, folder }));

    expect(load.result.code, load.result.output).toBe(0);
    expect(load.result.stdout).toMatch(
      new RegExp(`ran ${migrationName(buildIndex)} outside a transaction`),
    );
    expect(await indexState(db.url, INDEX)).toBe("valid");
    expect(await tableExists(db.url, "after_index")).toBe(true);
    expect(await ledgerWhens(db.url)).toEqual(allWhens);
    expect(await migrationLockHolders(db.url)).toEqual([]);
    await expectWritesFlowedDuringTheBuild(load, "db:migrate");
  });

  it("through the boot path (bootMigrations with DATABASE_URL, ./drizzle): the same", async () => {
    await createLoadTable(db.url, ROWS);
    const dir = writeBootDirectory(withIndex);
    const load = await underWriteLoad(() => startBoot(db.url, dir).exited);

    expect(load.result.code, load.result.output).toBe(0);
    expect(load.result.stdout).toContain("boot: migrations done");
    expect(await indexState(db.url, INDEX)).toBe("valid");
    expect(await ledgerWhens(db.url)).toEqual(allWhens);
    await expectWritesFlowedDuringTheBuild(load, "boot");
  });

  it("the same index built plainly in an ordinary migration holds every insert until it is done", async () => {
    // The contrast that makes the check above mean something: a plain CREATE INDEX takes a SHARE
    // lock, so no insert can start and complete while it builds.
    await createLoadTable(db.url, ROWS);
    const plain = fixtureMigration(1, [`create index ${INDEX} on ${LOAD_TABLE} (payload)`]);
    const folder = writeMigrationFolder([before, plain, after]);
    const { result, writes, samples } = await underWriteLoad(() =>
      runMigratorCli("migrate", { url: db.url, folder }),
    );
    expect(result.code, result.output).toBe(0);
    expect(writes.failures).toEqual([]);
    const window = buildWindow(samples);
    expect(window).toBeDefined();
    if (window) expect(insertsWithin(writes.inserts, window)).toEqual([]);
  });
});

describe("interrupted and failed builds", () => {
  it("SIGKILL during the build: no ledger row; the next run drops the invalid index, builds it and records it once", async () => {
    await createLoadTable(db.url, ROWS);
    const folder = writeMigrationFolder(withIndex);
    // An open REPEATABLE READ snapshot keeps the build in its last phase ("waiting for old
    // snapshots"), where the index exists but is not yet valid, so the kill lands mid-build.
    await withSql(db.url, async (sql) => {
      const snapshot = await sql.reserve();
      const watch = watchIndexBuilds(db.url, LOAD_TABLE);
      try {
        await snapshot`begin isolation level repeatable read`;
        await snapshot`select 1`;
        const migrator = startMigratorCli("migrate", {
          url: db.url,
          folder,
          env: { MIGRATION_LOCK_TIMEOUT_MS: "60000" },
        });
        await eventually(
          "the build waits for old snapshots",
          async () => watch.samples.some((sample) => sample.phase === "waiting for old snapshots"),
          60_000,
        );
        migrator.child.kill("SIGKILL");
        expect((await migrator.exited).signal).toBe("SIGKILL");
        await eventually("the killed migrator's session is gone", async () => {
          return (await migrationLockHolders(db.url)).length === 0;
        });
      } finally {
        await snapshot`rollback`.catch(() => {});
        snapshot.release();
        await watch.stop();
      }
    });
    expect(await indexState(db.url, INDEX)).toBe("invalid");
    expect(await ledgerWhens(db.url)).toEqual([before.when]);

    const retry = await runMigratorCli("migrate", { url: db.url, folder });
    expect(retry.code, retry.output).toBe(0);
    expect(retry.stdout).toMatch(new RegExp(`dropped the invalid index \\S*${INDEX}`));
    expect(await indexState(db.url, INDEX)).toBe("valid");
    expect(await ledgerWhens(db.url)).toEqual(allWhens);
  });

  it("a failed build (duplicates for a UNIQUE index) leaves no ledger row; after the data is fixed the retry replaces the invalid index", async () => {
    await withSql(db.url, (sql) =>
      sql`create table codes (code text); insert into codes values ('a'), ('a')`.simple(),
    );
    const unique = noTransactionMigration(0, [
      "create unique index concurrently if not exists codes_code_uidx on codes (code)",
    ]);
    const folder = writeMigrationFolder([unique]);

    const failed = await runMigratorCli("migrate", { url: db.url, folder });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("MIGRATION_FAILED");
    expect(failed.stderr).toContain("23505");
    expect(failed.stderr).toContain(migrationFile(unique));
    expect(await ledgerWhens(db.url)).toEqual([]);
    expect(await indexState(db.url, "codes_code_uidx")).toBe("invalid");
    expect(await migrationLockHolders(db.url)).toEqual([]);

    await withSql(
      db.url,
      (sql) => sql`delete from codes where ctid = (select max(ctid) from codes)`,
    );
    const retry = await runMigratorCli("migrate", { url: db.url, folder });
    expect(retry.code, retry.output).toBe(0);
    expect(retry.stdout).toMatch(/dropped the invalid index \S*codes_code_uidx/);
    expect(await indexState(db.url, "codes_code_uidx")).toBe("valid");
    expect(await ledgerWhens(db.url)).toEqual([unique.when]);
  });
});

describe("16 server processes booting at once with the build pending", () => {
  it("build it once, record it once, and all start without an error", async () => {
    await createLoadTable(db.url, ROWS);
    const dir = writeBootDirectory(withIndex);
    const watch = watchIndexBuilds(db.url, LOAD_TABLE);
    // An open snapshot holds the build in its last phase until all 16 have started: the other 15
    // then wait for the lock while the index is being built, which is the case to prove (a waiter
    // that held a snapshot of its own would deadlock with the build).
    const snapshot = createDbConnection({ url: db.url, max: 1, applicationName: "old-snapshot" });
    const reserved = await snapshot.client.reserve();
    let results: ProcessResult[];
    try {
      await reserved`begin isolation level repeatable read`;
      await reserved`select 1`;
      const boots = Array.from({ length: 16 }, () =>
        startBoot(db.url, dir, { MIGRATION_LOCK_TIMEOUT_MS: "300000" }),
      );
      await eventually(
        "one boot builds the index while the 15 others wait for the lock",
        async () =>
          watch.samples.some((sample) => sample.phase === "waiting for old snapshots") &&
          // At least 15: the one that builds may also have waited, behind the first batch.
          boots.filter((boot) => boot.output().includes("waiting for the migration lock")).length >=
            15,
        150_000,
      );
      await reserved`rollback`;
      results = await Promise.all(boots.map((boot) => boot.exited));
    } finally {
      reserved.release();
      await snapshot.close();
      await watch.stop();
    }
    for (const result of results) {
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toMatch(/error|failed|deadlock/i);
    }
    const built = results.filter((r) => r.stdout.includes(`ran ${migrationName(buildIndex)} `));
    expect(built, "processes that built the index").toHaveLength(1);
    expect(new Set(watch.samples.map((sample) => sample.pid)).size).toBe(1);
    expect(await indexState(db.url, INDEX)).toBe("valid");
    expect(await ledgerWhens(db.url)).toEqual(allWhens);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  }, 240_000);
});

describe("a migrator waiting for the lock", () => {
  it("never blocks long enough to deadlock with a CONCURRENTLY build by the lock's holder", async () => {
    // A build waits for every older snapshot, a waiter blocked in a statement holds one, and
    // Postgres cancels one of the two (40P01) once one has waited deadlock_timeout (1 s). So the
    // builds start when the waiter's statement has blocked for over a second, if it ever does.
    await withSql(db.url, (sql) =>
      sql`create table small (id int); insert into small select generate_series(1, 1000)`.simple(),
    );
    const holder = createDbConnection({ url: db.url, max: 1, applicationName: "lock-holder" });
    try {
      const key = MIGRATION_LOCK_KEY.toString();
      await holder.client`select pg_advisory_lock(${key}::bigint)`;
      const waiter = startMigratorCli("migrate", {
        url: db.url,
        folder: writeMigrationFolder([fixtureMigration(0)]),
      });
      await waiter.waitForOutput(/waiting for the migration lock/);
      for (const n of [1, 2, 3]) {
        const deadline = performance.now() + 1_500;
        while (performance.now() < deadline && !(await waiterBlockedOverASecond(db.url))) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await holder.client.unsafe(`create index concurrently small_${n}_idx on small (id)`);
      }
      await holder.client`select pg_advisory_unlock(${key}::bigint)`;
      const result = await waiter.exited;
      expect(result.code, result.output).toBe(0);
    } finally {
      await holder.close();
    }
  });
});

function waiterBlockedOverASecond(url: string): Promise<boolean> {
  return withSql(url, async (sql) => {
    const [row] = await sql<{ blocked: boolean }[]>`
      select exists (
        select 1 from pg_stat_activity
        where datname = current_database() and application_name like 'agency-reporting:migrator%'
          and state = 'active' and wait_event_type = 'Lock'
          and now() - query_start > interval '1.1 seconds') as blocked`;
    return row?.blocked ?? false;
  });
}

describe("ALTER TYPE ... ADD VALUE", () => {
  const createType = fixtureMigration(0, [
    "create type report_status as enum ('draft', 'sent')",
    "create table reports (id serial primary key, status report_status not null)",
  ]);
  const useValue = fixtureMigration(2, ["insert into reports (status) values ('archived')"]);

  // Postgres lets a transaction use a value added to a type created in that same transaction, so
  // the type exists before the run, as on any database past its first deploy.
  async function runAfterTheType(addValue: FixtureMigration) {
    const folder = writeMigrationFolder([createType]);
    // Applied in this process (db:migrate's code path); the run under test is the CLI's.
    await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
    writeMigrationFolder([createType, addValue, useValue], folder);
    return runMigratorCli("migrate", { url: db.url, folder });
  }

  it("in a -- no-transaction file, the next migration of the same run can use the new value", async () => {
    const addValue = noTransactionMigration(1, [
      "alter type report_status add value if not exists 'archived'",
    ]);
    const result = await runAfterTheType(addValue);
    expect(result.code, result.output).toBe(0);
    const statuses = await withSql(
      db.url,
      (sql) => sql<{ status: string }[]>`select status::text from reports`,
    );
    expect(statuses.map((row) => row.status)).toEqual(["archived"]);
    expect(await ledgerWhens(db.url)).toEqual([createType.when, addValue.when, useValue.when]);
  });

  it("in an ordinary file, the same run fails with 55P04 and applies nothing (why the marker exists)", async () => {
    const addValue = fixtureMigration(1, [
      "alter type report_status add value if not exists 'archived'",
    ]);
    const result = await runAfterTheType(addValue);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("55P04");
    expect(await ledgerWhens(db.url)).toEqual([createType.when]);
  });
});

describe("validation and settings", () => {
  it("refuses CONCURRENTLY in a file without the marker, naming the marker", async () => {
    const unmarked = fixtureMigration(0, [
      `create index concurrently if not exists step_idx on pg_class (relname)`,
    ]);
    const result = await runMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([unmarked]),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CONCURRENTLY");
    expect(result.stderr).toContain("-- no-transaction");
    expect(await ledgerWhens(db.url)).toEqual([]);
  });

  it("refuses an applied -- no-transaction file that was edited (CHECKSUM_MISMATCH)", async () => {
    const addIndex = noTransactionMigration(1, [
      "create index concurrently if not exists step_0_idx on step_0 (id)",
    ]);
    const folder = writeMigrationFolder([fixtureMigration(0), addIndex]);
    await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
    const edited = { ...addIndex, statements: [`${addIndex.statements[0]} where id > 0`] };
    writeMigrationFolder([fixtureMigration(0), edited], folder);
    const refused = await runMigratorCli("migrate", { url: db.url, folder });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("CHECKSUM_MISMATCH");
    expect(refused.stderr).toContain(migrationName(addIndex));
  });

  it("runs its statements under MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS, not the batch's statement timeout", async () => {
    const slow = noTransactionMigration(0, ["select pg_sleep(0.5)"]);
    const folder = writeMigrationFolder([slow]);
    const timedOut = await runMigratorCli("migrate", {
      url: db.url,
      folder,
      env: {
        MIGRATION_STATEMENT_TIMEOUT_MS: "60000",
        MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS: "100",
      },
    });
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain("57014");
    expect(timedOut.stderr).toContain("MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS=100");
    expect(await ledgerWhens(db.url)).toEqual([]);

    const applied = await runMigratorCli("migrate", {
      url: db.url,
      folder,
      env: {
        MIGRATION_STATEMENT_TIMEOUT_MS: "100",
        MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS: "60000",
      },
    });
    expect(applied.code, applied.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual([slow.when]);
  });
});
