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
import { MigrationError, postgresFailureOf } from "./errors";
import { type LockedTransaction, withMigrationLock } from "./lock";
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

export interface MigratorOptions {
  mode: MigratorMode;
  log?: Log;
}

/** What `npm run db:status` shows: the full comparison, problems listed rather than thrown. */
export interface MigrationStatus extends MigrationPlan {
  target: string;
  durationMs: number;
}

const LOCK_TIMEOUT = "55P03";
const STATEMENT_TIMEOUT = "57014";

function throwFirstProblem(plan: MigrationPlan): void {
  const [first, ...others] = plan.problems;
  if (!first) return;
  if (others.length === 0) throw first;
  throw new MigrationError(
    first.code,
    `${first.message}\n(and ${others.length} more problem(s): ` +
      `${others.map((problem) => problem.code).join(", ")}; \`npm run db:status\` lists them all)`,
    { tag: first.tag, statement: first.statement, sqlState: first.sqlState },
  );
}

interface LedgerContext {
  files: MigrationFile[];
  connection: DbConnection;
  plan: MigrationPlan;
  connectMs: number;
  readMs: number;
}

/**
 * Reads the folder, then opens the migrator's own connection and reads the ledger (one query).
 * Boot, both CLIs and the health check all start here; the connection is closed at the end.
 */
async function withLedger<T>(
  settings: MigratorSettings,
  log: Log,
  work: (context: LedgerContext) => Promise<T>,
): Promise<T> {
  const files = readMigrationFolder(settings.migrationsFolder);
  const { connection, connectMs, serverVersion } = await openMigratorConnection(settings, log);
  try {
    const readStarted = performance.now();
    const rows = await readLedger(connection.client);
    const plan = planMigrations(files, rows, { ...settings, serverVersion });
    const readMs = performance.now() - readStarted;
    return await work({ files, connection, plan, connectMs, readMs });
  } finally {
    await connection.close();
  }
}

/** The ledger compared with the folder, listing every problem; never locks, never writes. */
export async function inspectMigrations(
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
 * that holds the migration lock: re-read and re-validate the ledger (another instance may have
 * done the work), then run drizzle-orm's `migrate()`; retry on `lock_timeout`. Throws
 * `MigrationError` (its message says what to do); validation runs before anything is written.
 */
export async function runMigrator(
  settings: MigratorSettings,
  options: MigratorOptions,
): Promise<MigratorReport> {
  const log = options.log ?? consoleLog;
  const started = performance.now();
  const target = describeTarget(settings);
  return withLedger(settings, log, async ({ files, connection, plan, connectMs, readMs }) => {
    const report = (version: string | null, pending: string[], appliedNow: string[]) => ({
      mode: options.mode,
      appliedNow,
      version,
      pending,
      total: plan.total,
      durationMs: performance.now() - started,
      connectMs,
    });
    throwFirstProblem(plan);
    const pendingTags = plan.pending.map((file) => file.tag);
    const timings = `connect ${ms(connectMs)}, ledger read ${ms(readMs)}`;
    if (pendingTags.length === 0) {
      log(
        `[migrate] ${target} is up to date at ${plan.version ?? "(no migrations)"} ` +
          `(${plan.total} migrations; ${timings}, total ${ms(performance.now() - started)})`,
      );
      return report(plan.version, [], []);
    }
    const pendingList = `${pendingTags.length} of ${plan.total} migrations pending (${pendingTags.join(", ")})`;
    if (options.mode === "check") {
      log(
        `[migrate] check: ${target} is at ${plan.version ?? "(nothing applied)"}, ${pendingList} ` +
          `(${timings}, total ${ms(performance.now() - started)})`,
      );
      return report(plan.version, pendingTags, []);
    }
    log(`[migrate] connected to ${target} in ${ms(connectMs)}; ${pendingList}`);
    const appliedNow = await applyWithRetries(connection, files, settings, log);
    const version = files.at(-1)?.tag ?? null;
    log(
      `[migrate] done: applied ${appliedNow.length} migration(s), ${target} is at ` +
        `${version ?? "(no migrations)"} (total ${ms(performance.now() - started)})`,
    );
    return report(version, [], appliedNow);
  });
}

/**
 * Applies under the lock; a statement that hit `lock_timeout` rolled the whole transaction back
 * (lock included), and the batch is tried again after a backoff.
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
        pending = await pendingUnderLock(locked, files, settings);
        if (pending.length === 0) {
          log("[migrate] another instance applied the pending migrations while this one waited");
          return [];
        }
        const { tx, inTransaction } = locked;
        const folder = settings.migrationsFolder;
        await migrateInTransaction(tx, connection.client, folder, pending, inTransaction, log);
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
      const failure = postgresFailureOf(error);
      const where = locateFailure(error, pending);
      const statement = excerpt(where.statement ?? "(unknown)", 500);
      if (failure?.code !== LOCK_TIMEOUT) throw migrationFailed(error, where, statement, settings);
      if (attempt >= settings.lockTimeoutRetries) {
        throw new MigrationError(
          "LOCK_TIMEOUT_RETRIES_EXHAUSTED",
          `${where.summary} could not get a table lock within lock_timeout ` +
            `(MIGRATION_LOCK_TIMEOUT_MS=${settings.lockTimeoutMs}) in ${attempt + 1} attempt(s); ` +
            `nothing was applied. ${failure.message} (SQLSTATE ${failure.code}).\n` +
            `Statement: ${statement}\n` +
            "A long-running transaction holds a lock on that table. Find it with `select pid, " +
            "now() - xact_start as age, state, query from pg_stat_activity where xact_start < " +
            "now() - interval '1 minute'`, end it or wait for it, then start again; or raise " +
            "MIGRATION_LOCK_TIMEOUT_RETRIES (each attempt can block queries on that table for up " +
            "to lock_timeout).",
          { tag: where.tag, statement, sqlState: failure.code, cause: error },
        );
      }
      const delay = Math.min(1_000 * 2 ** attempt, 15_000);
      log(
        `[migrate] ${where.summary} hit lock_timeout (${settings.lockTimeoutMs} ms), rolled back; ` +
          `retry ${attempt + 1} of ${settings.lockTimeoutRetries} in ${ms(delay)}`,
      );
      await sleep(delay);
    }
  }
}

/** Under the lock: the ledger again, validated again; what is still pending. */
async function pendingUnderLock(
  { tx }: LockedTransaction,
  files: MigrationFile[],
  settings: MigratorSettings,
): Promise<MigrationFile[]> {
  const plan = planMigrations(files, await readLedger(tx, { inTransaction: true }), settings);
  throwFirstProblem(plan);
  return plan.pending;
}

function migrationFailed(
  error: unknown,
  where: ReturnType<typeof locateFailure>,
  statement: string,
  settings: MigratorSettings,
): MigrationError {
  const failure = postgresFailureOf(error);
  const postgres = failure
    ? `${failure.message} (SQLSTATE ${failure.code})` +
      (failure.detail ? `\nDetail: ${failure.detail}` : "") +
      (failure.hint ? `\nHint: ${failure.hint}` : "")
    : error instanceof Error
      ? error.message
      : String(error);
  const timeoutAdvice =
    failure?.code === STATEMENT_TIMEOUT
      ? "\nThe statement ran longer than statement_timeout (MIGRATION_STATEMENT_TIMEOUT_MS=" +
        `${settings.statementTimeoutMs}) or was cancelled; raise it for this deploy if the ` +
        "statement is expected to be slow."
      : "";
  return new MigrationError(
    "MIGRATION_FAILED",
    `${where.summary} failed: ${postgres}\nStatement: ${statement}\n` +
      "The pending migrations run in one transaction, which was rolled back: the schema and the " +
      "ledger are as they were before this run. If existing data blocks the statement, fix the " +
      "data and deploy again; if the statement is wrong, correct the migration (it is not " +
      "applied here; if another database already applied it, see the docs) and deploy again." +
      timeoutAdvice,
    { tag: where.tag, statement, sqlState: failure?.code, cause: error },
  );
}
