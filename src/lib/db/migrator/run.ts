import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "postgres";
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
import { type Log, migratorLog, ms } from "./log";
import { describeTarget } from "./migrations-url";
import type { MigratorSettings } from "./settings";
import { MigrationSpans, traced } from "./tracing";
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
  /** Where the run's events go; by default stdout/stderr in LOG_FORMAT. */
  log?: Log;
  /**
   * The app's pool on the same database as the migrations URL: the up-to-date check then runs on
   * one of its connections, which the pool keeps for the app (a cold start opens one connection,
   * not two). Applying always takes the migrator's own single connection.
   */
  appPool?: Sql;
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
  plan: MigrationPlan;
  connectMs: number;
  readMs: number;
}

/** The ledger in one query on `sql`, compared with the folder. */
function readPlan(
  sql: Sql,
  files: MigrationFile[],
  settings: MigratorSettings,
  serverVersion: string,
): Promise<{ plan: MigrationPlan; readMs: number }> {
  return traced("migrate.ledger_read", {}, async (span) => {
    const started = performance.now();
    const rows = await readLedger(sql);
    span.setAttribute("migrate.ledger.rows", rows.length);
    const plan = planMigrations(files, rows, { ...settings, serverVersion });
    return { plan, readMs: performance.now() - started };
  });
}

/**
 * Reads the folder, then opens the migrator's own connection and reads the ledger (one query).
 * Both CLIs and any apply start here; the connection is closed at the end.
 */
async function withLedger<T>(
  settings: MigratorSettings,
  log: Log,
  work: (context: LedgerContext & { connection: DbConnection }) => Promise<T>,
): Promise<T> {
  const files = readMigrationFolder(settings.migrationsFolder);
  const { connection, connectMs, serverVersion } = await traced("migrate.connect", {}, () =>
    openMigratorConnection(settings, log),
  );
  try {
    const { plan, readMs } = await readPlan(connection.client, files, settings, serverVersion);
    return await work({ files, connection, plan, connectMs, readMs });
  } finally {
    await connection.close();
  }
}

/**
 * The ledger read on a connection of the app's pool, which keeps it open afterwards: on a cold
 * start the app's first query then finds it ready. Undefined when the pool cannot connect: the
 * migrator's own connection then retries and reports as usual.
 */
async function readPlanOnAppPool(
  pool: Sql,
  settings: MigratorSettings,
): Promise<LedgerContext | undefined> {
  const files = readMigrationFolder(settings.migrationsFolder);
  const connectStarted = performance.now();
  const reserved = await traced("migrate.connect", { "migrate.connection": "app-pool" }, () =>
    pool.reserve(),
  ).catch(() => undefined);
  if (!reserved) return undefined;
  const connectMs = performance.now() - connectStarted;
  try {
    const serverVersion = String(pool.parameters.server_version ?? "unknown");
    return { files, connectMs, ...(await readPlan(reserved, files, settings, serverVersion)) };
  } finally {
    reserved.release();
  }
}

/** The ledger compared with the folder, listing every problem; never locks, never writes. */
export async function inspectMigrations(
  settings: MigratorSettings,
  options: { log?: Log } = {},
): Promise<MigrationStatus> {
  const started = performance.now();
  return withLedger(settings, options.log ?? migratorLog(), async ({ plan }) => ({
    ...plan,
    target: describeTarget(settings),
    durationMs: performance.now() - started,
  }));
}

/**
 * Brings the database to the folder's latest migration ("apply") or only checks it ("check").
 * Up to date: one connection (or one of the app pool's: `appPool`), one query, one log line, no
 * lock. Otherwise, on its own connection, in one transaction that holds the migration lock:
 * re-read and re-validate the ledger (another instance may have done the work), then run
 * drizzle-orm's `migrate()`; retry on `lock_timeout`. Throws `MigrationError` (its message says
 * what to do); validation runs before anything is written. Traced as the span `migrate.run`.
 */
export function runMigrator(
  settings: MigratorSettings,
  options: MigratorOptions,
): Promise<MigratorReport> {
  return traced("migrate.run", { "migrate.mode": options.mode }, async (span) => {
    const report = await bringUpToDate(settings, options, options.log ?? migratorLog());
    span.setAttributes({
      "migrate.outcome":
        report.appliedNow.length > 0
          ? "applied"
          : report.pending.length > 0
            ? "pending"
            : "up_to_date",
      "migrate.version": report.version ?? "",
      "migrate.applied": report.appliedNow.length,
      "migrate.pending": report.pending.length,
    });
    return report;
  });
}

async function bringUpToDate(
  settings: MigratorSettings,
  options: MigratorOptions,
  log: Log,
): Promise<MigratorReport> {
  const started = performance.now();
  const target = describeTarget(settings);
  const report = (
    context: LedgerContext,
    version: string | null,
    pending: string[],
    appliedNow: string[],
  ): MigratorReport => ({
    mode: options.mode,
    appliedNow,
    version,
    pending,
    total: context.plan.total,
    durationMs: performance.now() - started,
    connectMs: context.connectMs,
  });

  /** The report when there is nothing to apply (or only checking), else undefined. */
  const withoutApplying = (context: LedgerContext): MigratorReport | undefined => {
    const { plan, connectMs, readMs } = context;
    throwFirstProblem(plan);
    const pendingTags = plan.pending.map((file) => file.tag);
    const timings = `connect ${ms(connectMs)}, ledger read ${ms(readMs)}`;
    const facts = { connectMs, ledgerReadMs: readMs, version: plan.version };
    if (pendingTags.length === 0) {
      log.info(
        "migrate.up_to_date",
        `${target} is up to date at ${plan.version ?? "(no migrations)"} ` +
          `(${plan.total} migrations; ${timings}, total ${ms(performance.now() - started)})`,
        { ...facts, migrations: plan.total, durationMs: performance.now() - started },
      );
      return report(context, plan.version, [], []);
    }
    if (options.mode === "apply") return undefined;
    log.info(
      "migrate.pending",
      `check: ${target} is at ${plan.version ?? "(nothing applied)"}, ` +
        `${pendingList(plan)} (${timings}, total ${ms(performance.now() - started)})`,
      { ...facts, pending: pendingTags, durationMs: performance.now() - started },
    );
    return report(context, plan.version, pendingTags, []);
  };

  if (options.appPool) {
    const context = await readPlanOnAppPool(options.appPool, settings);
    const done = context && withoutApplying(context);
    if (done) return done;
  }
  return withLedger(settings, log, async (context) => {
    const done = withoutApplying(context);
    if (done) return done;
    const { files, connection, plan, connectMs } = context;
    log.info(
      "migrate.connected",
      `connected to ${target} in ${ms(connectMs)}; ${pendingList(plan)}`,
      {
        connectMs,
        pending: plan.pending.map((file) => file.tag),
      },
    );
    const appliedNow = await applyWithRetries(connection, files, settings, log);
    const version = files.at(-1)?.tag ?? null;
    log.info(
      "migrate.done",
      `done: applied ${appliedNow.length} migration(s), ${target} is at ` +
        `${version ?? "(no migrations)"} (total ${ms(performance.now() - started)})`,
      { applied: appliedNow, version, durationMs: performance.now() - started },
    );
    return report(context, version, [], appliedNow);
  });
}

function pendingList(plan: MigrationPlan): string {
  const tags = plan.pending.map((file) => file.tag);
  return `${tags.length} of ${plan.total} migrations pending (${tags.join(", ")})`;
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
    let spans: MigrationSpans | undefined;
    const started = performance.now();
    try {
      const applied = await withMigrationLock(connection.client, settings, log, async (locked) => {
        pending = await pendingUnderLock(locked, files, settings);
        if (pending.length === 0) {
          log.info(
            "migrate.applied_elsewhere",
            "another instance applied the pending migrations while this one waited",
          );
          return [];
        }
        const { tx, inTransaction } = locked;
        const folder = settings.migrationsFolder;
        spans = new MigrationSpans(pending);
        await migrateInTransaction(
          tx,
          connection.client,
          folder,
          pending,
          inTransaction,
          log,
          spans,
        );
        return pending.map((file) => file.tag);
      });
      if (applied.length > 0) {
        const took = performance.now() - started;
        log.info("migrate.committed", `committed ${applied.length} migration(s) in ${ms(took)}`, {
          applied,
          durationMs: took,
        });
      }
      return applied;
    } catch (error) {
      const fatal = (failure: MigrationError) => {
        spans?.fail(failure);
        return failure;
      };
      if (error instanceof MigrationError) throw fatal(error);
      const failure = postgresFailureOf(error);
      const where = locateFailure(error, pending);
      const statement = excerpt(where.statement ?? "(unknown)", 500);
      if (failure?.code !== LOCK_TIMEOUT) {
        throw fatal(migrationFailed(error, where, statement, settings));
      }
      spans?.fail(error, {
        code: "LOCK_TIMEOUT",
        message: failure.message,
        tag: where.tag,
        sqlState: failure.code,
      });
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
      log.warn(
        "migrate.lock_timeout_retry",
        `${where.summary} hit lock_timeout (${settings.lockTimeoutMs} ms), rolled back; ` +
          `retry ${attempt + 1} of ${settings.lockTimeoutRetries} in ${ms(delay)}`,
        {
          tag: where.tag,
          attempt: attempt + 1,
          retries: settings.lockTimeoutRetries,
          retryInMs: delay,
        },
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
