import { MIGRATION_LOCK_KEY } from "drizzle-boot-migrator";
import { afterEach, describe, expect, it } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { applyMigrations } from "../support/database";
import {
  emptyDatabasePerTest,
  eventually,
  FIXTURE_T0,
  type FixtureMigration,
  ledgerWhens,
  migrationFile,
  migrationLockHolders,
  migrationName,
  runMigratorCli,
  startMigratorCli,
  tableExists,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

const m0: FixtureMigration = {
  tag: "0000_accounts",
  when: FIXTURE_T0,
  statements: [
    "create table busy_accounts (id int primary key)",
    "insert into busy_accounts select generate_series(1, 100)",
  ],
};
const m1: FixtureMigration = {
  tag: "0001_accounts-note",
  when: FIXTURE_T0 + 1000,
  statements: ["alter table busy_accounts add column note text"],
};

const db = emptyDatabasePerTest();
const opened: DbConnection[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()));
});

function connect(applicationName: string): DbConnection {
  const connection = createDbConnection({ url: db.url, max: 1, applicationName });
  opened.push(connection);
  return connection;
}

/** Another session holding the migration lock, as a stuck instance would. */
async function holdMigrationLock(): Promise<{ pid: number; release: () => Promise<void> }> {
  const holder = connect("test-lock-holder");
  const [row] = await holder.client<{ pid: number }[]>`
    select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint), pg_backend_pid() as pid`;
  return {
    pid: row?.pid ?? -1,
    release: async () => {
      await holder.client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    },
  };
}

describe("the migration lock held by another session", () => {
  it("waits, logs the holder, and fails at the deadline without applying anything", async () => {
    const holder = await holdMigrationLock();
    const result = await runMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([m0]),
      env: { MIGRATION_LOCK_WAIT_MS: "2500" },
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `waiting for the migration lock .*held by pid ${holder.pid}, application_name "test-lock-holder", session started`,
      ),
    );
    expect(result.stderr).toContain("[migrate] failed (LOCK_WAIT_TIMEOUT)");
    expect(result.stderr).toContain(`held by pid ${holder.pid}`);
    expect(await tableExists(db.url, "busy_accounts")).toBe(false);
  });

  it("proceeds when the lock is released before the deadline", async () => {
    const holder = await holdMigrationLock();
    const migrator = startMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([m0]),
      env: { MIGRATION_LOCK_WAIT_MS: "60000" },
    });
    await migrator.waitForOutput(/waiting for the migration lock/);
    await holder.release();

    const result = await migrator.exited;
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/took the migration lock in [1-9]\d* ms/);
    expect(await ledgerWhens(db.url)).toEqual([m0.when]);
  });

  it("is not needed on an up-to-date database: the fast path takes no lock and logs one line", async () => {
    const folder = writeMigrationFolder([m0]);
    // Applied in this process (db:migrate's code path); the run under test is the CLI's.
    await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
    await holdMigrationLock();

    const result = await runMigratorCli("migrate", {
      url: db.url,
      folder,
      env: { MIGRATION_LOCK_WAIT_MS: "0" },
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output.trim().split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\[migrate\\] .* is up to date at ${migrationName(m0)} \\(1 migrations; connect \\d+ ms, ledger read \\d+ ms, total \\d+ ms\\)$`,
        ),
      ),
    ]);
  });
});

describe("a long transaction holding a lock on the table a migration alters", () => {
  const LOCK_TIMEOUT_MS = 1500;

  /** An application transaction that read the table and stays open until `end()`. */
  async function openLongTransaction(): Promise<{ end: () => Promise<void> }> {
    const app = connect("test-long-transaction");
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    let started!: () => void;
    const isOpen = new Promise<void>((resolve) => {
      started = resolve;
    });
    const transaction = app.client.begin(async (tx) => {
      await tx`select * from busy_accounts limit 1`;
      started();
      await ended;
    });
    await isOpen;
    return {
      end: async () => {
        end();
        await transaction;
      },
    };
  }

  /** Resolves once the migrator's ALTER TABLE is queued for the table's lock. */
  function migratorIsWaitingForTheTable(): Promise<void> {
    return eventually("the migrator waits for busy_accounts", () =>
      withSql(db.url, async (sql) => {
        const rows = await sql`
          select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where not l.granted and l.relation = 'busy_accounts'::regclass
            and a.application_name like 'agency-reporting:migrator%'`;
        return rows.length > 0;
      }),
    );
  }

  it("gives up on lock_timeout, retries with backoff, fails; app queries are not stuck behind it", async () => {
    await applyMigrations(db.url, writeMigrationFolder([m0]));
    const longTransaction = await openLongTransaction();
    const migrator = startMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([m0, m1]),
      env: {
        MIGRATION_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
        MIGRATION_LOCK_TIMEOUT_RETRIES: "2",
      },
    });

    await migratorIsWaitingForTheTable();
    // Queued behind the migrator's ALTER (which waits for the long transaction), an app query
    // would hang for as long as that transaction lasts without lock_timeout.
    const app = connect("test-app-query");
    const queryStarted = performance.now();
    const [row] = await app.client<{ count: string }[]>`select count(*) from busy_accounts`;
    const blockedMs = performance.now() - queryStarted;
    console.log(`[measure] app query blocked ${Math.round(blockedMs)} ms`);
    expect(row?.count).toBe("100");
    expect(blockedMs).toBeLessThan(LOCK_TIMEOUT_MS + 5_000); // generous: a behaviour check

    const result = await migrator.exited;
    await longTransaction.end();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${migrationFile(m1)} (statement 1 of 1) hit lock_timeout (1500 ms), rolled back; retry 1 of 2 in 1000 ms`,
    );
    expect(result.stdout).toContain("retry 2 of 2 in 2000 ms");
    expect(result.stderr).toContain("[migrate] failed (LOCK_TIMEOUT_RETRIES_EXHAUSTED)");
    expect(result.stderr).toContain("SQLSTATE 55P03");
    expect(result.stderr).toContain("alter table busy_accounts add column note text");
    expect(await ledgerWhens(db.url)).toEqual([m0.when]);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });

  it("succeeds on a retry once the long transaction ends", async () => {
    await applyMigrations(db.url, writeMigrationFolder([m0]));
    const longTransaction = await openLongTransaction();
    const migrator = startMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([m0, m1]),
      env: { MIGRATION_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) },
    });
    await migrator.waitForOutput(/retry 1 of 5/);
    await longTransaction.end();

    const result = await migrator.exited;
    expect(result.code, result.output).toBe(0);
    expect(await ledgerWhens(db.url)).toEqual([m0.when, m1.when]);
  });
});
