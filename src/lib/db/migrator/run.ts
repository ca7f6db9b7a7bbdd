import { setTimeout as sleep } from "node:timers/promises";
import type { DbConnection } from "../client";
import { openMigratorConnection } from "./connection";
import {
  locateFailure,
  type MigrationFile,
  migrateInTransaction,
  readLedger,
  readMigrationFolder,
} from "./drizzle-0.45";
import { describeError, MigrationError, postgresFailureOf } from "./errors";
import { EXCLUSIVE_NEEDED, withMigrationLock } from "./lock";
import { consoleLog, type Log, ms } from "./log";
import { describeTarget } from "./migrations-url";
import type { MigratorSettings } from "./settings";
import { excerpt, type MigrationPlan, planMigrations } from "./validation";

export type MigratorMode = "apply" | "check";

export interface MigratorReport {
  mode: MigratorMode;
  /** Tags applied by this call (empty on the fast path and in check mode). */
  appliedNow: string[];
  /** Tag of the last applied migration after the call. */
  version: string | null;
  /** Tags still pending after the call (always [] after a successful apply). */
  pending: string[];
  /** Migrations in the folder. */
  total: number;
  durationMs: number;
  /** The part of `durationMs` spent opening the connection (including retries). */
  connectMs: number;
}

/** What `npm run db:status` shows: the full comparison, problems listed rather than thrown. */
export interface MigrationStatus extends MigrationPlan {
  target: string;
  durationMs: number;
}

function throwFirstProblem({ problems: [first, ...others] }: MigrationPlan): void {
  if (!first) return;
  if (others.length === 0) throw first;
  const more = `${others.length} more problem(s): ${others.map((problem) => problem.code).join(", ")}`;
  throw new MigrationError(
    first.code,
    `${first.message}\n(and ${more}; \`npm run db:status\` lists them all)`,
    { tag: first.tag },
  );
}

/**
 * Reads the folder, opens the migrator's connection and reads the ledger (one query): where boot,
 * both CLIs and the health check start. The connection is closed at the end.
 */
async function withLedger<T>(
  settings: MigratorSettings,
  log: Log,
  work: (context: {
    plan: MigrationPlan;
    files: MigrationFile[];
    connection: DbConnection;
    connectMs: number;
    readMs: number;
  }) => Promise<T>,
): Promise<T> {
  const files = readMigrationFolder(settings.migrationsFolder);
  const { connection, connectMs, serverVersion } = await openMigratorConnection(settings, log);
  try {
    const readStarted = performance.now();
    const plan = planMigrations(files, await readLedger(connection.client), {
      ...settings,
      serverVersion,
    });
    const readMs = performance.now() - readStarted;
    return await work({ plan, files, connection, connectMs, readMs });
  } finally {
    await connection.close();
  }
}

/** The ledger compared with the folder, listing every problem; never locks, never writes. */
export function inspectMigrations(
  settings: MigratorSettings,
  options: { log?: Log } = {},
): Promise<MigrationStatus> {
  const started = performance.now();
  return withLedger(settings, options.log ?? consoleLog, async ({ plan }) => ({
    ...plan,
    target: describeTarget(settings),
    durationMs: performance.now() - started,
  }));
}

/**
 * Brings the database to the folder's latest migration ("apply") or only checks it ("check").
 * Up to date: one connection, one query, one log line, no lock. Otherwise, in one transaction
 * holding the migration lock: the ledger is read and validated again (another instance may have
 * done the work) and drizzle-orm's `migrate()` runs. Throws `MigrationError` (its message says
 * what to do); nothing is written before validation passes.
 */
export async function runMigrator(
  settings: MigratorSettings,
  options: { mode: MigratorMode; log?: Log },
): Promise<MigratorReport> {
  const log = options.log ?? consoleLog;
  const started = performance.now();
  const target = describeTarget(settings);
  const total = () => `total ${ms(performance.now() - started)}`;
  return withLedger(settings, log, async ({ plan, files, connection, connectMs, readMs }) => {
    const report = (version: string | null, pending: string[], appliedNow: string[]) => ({
      mode: options.mode,
      appliedNow,
      version,
      pending,
      total: plan.total,
      durationMs: performance.now() - started,
      connectMs,
    });
    const timings = `connect ${ms(connectMs)}, ledger read ${ms(readMs)}`;
    throwFirstProblem(plan);
    const pending = plan.pending.map((file) => file.tag);
    if (pending.length === 0) {
      log(
        `[migrate] ${target} is up to date at ${plan.version ?? "(no migrations)"} ` +
          `(${plan.total} migrations; ${timings}, ${total()})`,
      );
      return report(plan.version, [], []);
    }
    const pendingList = `${pending.length} of ${plan.total} migrations pending (${pending.join(", ")})`;
    if (options.mode === "check") {
      log(
        `[migrate] check: ${target} is at ${plan.version ?? "(nothing applied)"}, ` +
          `${pendingList} (${timings}, ${total()})`,
      );
      return report(plan.version, pending, []);
    }
    log(`[migrate] connected to ${target} in ${ms(connectMs)}; ${pendingList}`);
    const appliedNow = await applyWithRetries(connection, files, settings, log);
    const version = files.at(-1)?.tag ?? null;
    log(
      `[migrate] done: applied ${appliedNow.length} migration(s), ${target} is at ${version} ` +
        `(${total()})`,
    );
    return report(version, [], appliedNow);
  });
}

/**
 * Applies under the lock. A statement that hit `lock_timeout` (55P03) rolled the transaction back,
 * lock included, and the batch runs again after a backoff.
 */
async function applyWithRetries(
  connection: DbConnection,
  files: MigrationFile[],
  settings: MigratorSettings,
  log: Log,
): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    let pending: MigrationFile[] = [];
    const started = performance.now();
    try {
      const applied = await withMigrationLock(connection.client, settings, log, async (locked) => {
        const rows = await readLedger(locked.tx, { inTransaction: true });
        const plan = planMigrations(files, rows, settings);
        throwFirstProblem(plan);
        pending = plan.pending;
        if (pending.length === 0) {
          log("[migrate] another instance applied the pending migrations while this one waited");
          return [];
        }
        if (!locked.exclusive) return EXCLUSIVE_NEEDED;
        await migrateInTransaction(
          locked,
          connection.client,
          settings.migrationsFolder,
          pending,
          log,
        );
        return pending.map((file) => file.tag);
      });
      if (applied.length > 0) {
        log(
          `[migrate] committed ${applied.length} migration(s) in ${ms(performance.now() - started)}`,
        );
      }
      return applied;
    } catch (error) {
      if (error instanceof MigrationError) throw error;
      const { tag, statement, summary } = locateFailure(error, pending);
      const sqlState = postgresFailureOf(error)?.code;
      const failed = `${summary} failed: ${describeError(error)}\nStatement: ${excerpt(statement ?? "(unknown)", 500)}`;
      if (sqlState === "55P03" && attempt < settings.lockTimeoutRetries) {
        const delay = Math.min(1_000 * 2 ** attempt, 15_000);
        log(
          `[migrate] ${summary} hit lock_timeout (${settings.lockTimeoutMs} ms), rolled back; ` +
            `retry ${attempt + 1} of ${settings.lockTimeoutRetries} in ${ms(delay)}`,
        );
        await sleep(delay);
        continue;
      }
      if (sqlState === "55P03") {
        throw new MigrationError(
          "LOCK_TIMEOUT_RETRIES_EXHAUSTED",
          `${failed}\nIt waited longer than lock_timeout (MIGRATION_LOCK_TIMEOUT_MS=` +
            `${settings.lockTimeoutMs}) for a table lock in ${attempt + 1} attempt(s); nothing ` +
            "was applied. A long-running transaction holds that table: end it or wait for it " +
            "(pg_stat_activity shows it), or raise MIGRATION_LOCK_TIMEOUT_RETRIES.",
          { tag, statement, sqlState, cause: error },
        );
      }
      throw new MigrationError(
        "MIGRATION_FAILED",
        `${failed}\nThe pending migrations run in one transaction, which was rolled back: schema ` +
          "and ledger are as they were. Fix the data that blocks the statement, or correct the " +
          "migration (it is applied nowhere yet unless another database ran it), and deploy again." +
          (sqlState === "57014"
            ? "\nThe statement ran longer than statement_timeout (MIGRATION_STATEMENT_TIMEOUT_MS=" +
              `${settings.statementTimeoutMs}); raise it for this deploy if that is expected.`
            : ""),
        { tag, statement, sqlState, cause: error },
      );
    }
  }
}
