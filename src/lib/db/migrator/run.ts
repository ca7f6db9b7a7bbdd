import type { Logger } from "drizzle-orm/logger";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Sql } from "postgres";
import type { DbConnection } from "../client";
import { describeTarget, openMigratorConnection, sleep } from "./connection";
import { failedQueryOf, MigrationError, postgresFailureOf } from "./errors";
import { type MigrationFile, readMigrationFolder } from "./files";
import { LEDGER, readLedger } from "./ledger";
import { withMigrationLock } from "./lock";
import { drizzleWouldApply, excerpt, type MigrationPlan, planMigrations } from "./plan";
import type { MigratorSettings } from "./settings";

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
  log?: (line: string) => void;
}

/** What `npm run db:status` shows: the full comparison, problems listed rather than thrown. */
export interface MigrationStatus extends MigrationPlan {
  target: string;
  durationMs: number;
}

const ms = (value: number) => `${Math.round(value)} ms`;
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
  log: (line: string) => void,
  work: (context: LedgerContext) => Promise<T>,
): Promise<T> {
  const files = readMigrationFolder(settings.migrationsFolder);
  const { connection, connectMs } = await openMigratorConnection(settings, log);
  try {
    const readStarted = performance.now();
    const plan = planMigrations(files, await readLedger(connection.client), settings);
    const readMs = performance.now() - readStarted;
    return await work({ files, connection, plan, connectMs, readMs });
  } finally {
    await connection.close();
  }
}

/** The ledger compared with the folder, listing every problem; never locks, never writes. */
export async function inspectMigrations(
  settings: MigratorSettings,
  options: { log?: (line: string) => void } = {},
): Promise<MigrationStatus> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  return withLedger(settings, log, async ({ plan }) => ({
    ...plan,
    target: `${describeTarget(settings.url)} (${settings.urlVariable})`,
    durationMs: performance.now() - started,
  }));
}

/**
 * Brings the database to the folder's latest migration ("apply") or only checks it ("check").
 * Up to date: one connection, one query, one log line, no lock. Otherwise: take the session
 * advisory lock, re-read and re-validate the ledger (another instance may have done the work),
 * run drizzle-orm's `migrate()` in the same session, retry on `lock_timeout`, unlock.
 * Throws `MigrationError` (its message says what to do); validation runs before anything is
 * written.
 */
export async function runMigrator(
  settings: MigratorSettings,
  options: MigratorOptions,
): Promise<MigratorReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const target = `${describeTarget(settings.url)} (${settings.urlVariable})`;
  return withLedger(settings, log, async ({ files, connection, plan, connectMs, readMs }) => {
    const report = (current: MigrationPlan, appliedNow: string[]): MigratorReport => ({
      mode: options.mode,
      appliedNow,
      version: current.version,
      pending: current.pending.map((file) => file.tag),
      total: current.total,
      durationMs: performance.now() - started,
      connectMs,
    });
    throwFirstProblem(plan);
    const timings = `connect ${ms(connectMs)}, ledger read ${ms(readMs)}`;
    if (plan.pending.length === 0) {
      log(
        `[migrate] ${target} is up to date at ${plan.version ?? "(no migrations)"} ` +
          `(${plan.total} migrations; ${timings}, total ${ms(performance.now() - started)})`,
      );
      return report(plan, []);
    }
    const pendingList =
      `${plan.pending.length} of ${plan.total} migrations pending ` +
      `(${plan.pending.map((file) => file.tag).join(", ")})`;
    if (options.mode === "check") {
      log(
        `[migrate] check: ${target} is at ${plan.version ?? "(nothing applied)"}, ${pendingList} ` +
          `(${timings}, total ${ms(performance.now() - started)})`,
      );
      return report(plan, []);
    }
    log(`[migrate] connected to ${target} in ${ms(connectMs)}; ${pendingList}`);
    const outcome = await withMigrationLock(connection.client, settings.lockWaitMs, log, () =>
      applyLocked(connection, files, settings, log),
    );
    log(
      `[migrate] done: applied ${outcome.appliedNow.length} migration(s), ${target} is at ` +
        `${outcome.plan.version ?? "(no migrations)"} (total ${ms(performance.now() - started)})`,
    );
    return report(outcome.plan, outcome.appliedNow);
  });
}

/** Under the lock: re-read and re-validate the ledger, then let drizzle apply the plan. */
async function applyLocked(
  connection: DbConnection,
  files: MigrationFile[],
  settings: MigratorSettings,
  log: (line: string) => void,
): Promise<{ plan: MigrationPlan; appliedNow: string[] }> {
  const sql = connection.client;
  await noticeDeadClients(sql);
  const rows = await readLedger(sql);
  const plan = planMigrations(files, rows, settings);
  throwFirstProblem(plan);
  if (plan.pending.length === 0) {
    log("[migrate] another instance applied the pending migrations while this one waited");
    return { plan, appliedNow: [] };
  }
  const expected = plan.pending.map((file) => file.tag).join(", ");
  const drizzleWill = drizzleWouldApply(files, rows)
    .map((file) => file.tag)
    .join(", ");
  if (drizzleWill !== expected) {
    throw new MigrationError(
      "APPLY_MISMATCH",
      `drizzle's migrate() would apply [${drizzleWill}] but the validated plan is [${expected}]; ` +
        "nothing was applied. Either the migrator has a bug or a drizzle-orm upgrade changed " +
        "how migrate() picks pending migrations: report it with the output of `npm run db:status`.",
    );
  }
  await applyWithRetries(connection, plan.pending, settings, log);
  const after = planMigrations(files, await readLedger(sql), settings);
  if (after.pending.length > 0 || after.problems.length > 0) {
    throw new MigrationError(
      "APPLY_MISMATCH",
      "drizzle's migrate() committed, but the ledger still shows pending " +
        `[${after.pending.map((file) => file.tag).join(", ")}] and ` +
        `${after.problems.length} problem(s): run \`npm run db:status\`.`,
    );
  }
  return { plan: after, appliedNow: plan.pending.map((file) => file.tag) };
}

/**
 * A killed migrator's backend keeps running its current statement, holding the transaction and
 * the lock, until the statement ends (at worst after `statement_timeout`). From Postgres 14 on,
 * `client_connection_check_interval` makes it notice the dead client within a second. Best effort:
 * some platforms refuse a non-zero value.
 */
async function noticeDeadClients(sql: Sql): Promise<void> {
  try {
    await sql`
      select case when current_setting('server_version_num')::int >= 140000
        then set_config('client_connection_check_interval', '1000', false) end`;
  } catch {
    // Only an optimisation: the lock is released when the backend ends either way.
  }
}

async function applyWithRetries(
  connection: DbConnection,
  pending: MigrationFile[],
  settings: MigratorSettings,
  log: (line: string) => void,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const tracker = new ApplyTracker(pending, log);
    // A drizzle instance over the migrator's own client, so the logger sees every statement.
    const db = drizzle(connection.client, { logger: tracker });
    const started = performance.now();
    try {
      await migrate(db, {
        migrationsFolder: settings.migrationsFolder,
        migrationsSchema: LEDGER.schema,
        migrationsTable: LEDGER.table,
      });
      log(
        `[migrate] committed ${pending.length} migration(s) in ${ms(performance.now() - started)}`,
      );
      return;
    } catch (error) {
      if (error instanceof MigrationError) throw error;
      const failure = postgresFailureOf(error);
      if (failure?.code !== LOCK_TIMEOUT) throw migrationFailed(error, tracker, settings);
      const where = tracker.describe(failedQueryOf(error));
      if (attempt >= settings.lockTimeoutRetries) {
        throw new MigrationError(
          "LOCK_TIMEOUT_RETRIES_EXHAUSTED",
          `${where.summary} could not get a table lock within lock_timeout ` +
            `(MIGRATION_LOCK_TIMEOUT_MS=${settings.lockTimeoutMs}) in ${attempt + 1} attempt(s); ` +
            `nothing was applied. ${failure.message} (SQLSTATE ${failure.code}).\n` +
            `Statement: ${where.statement}\n` +
            "A long-running transaction holds a lock on that table. Find it with `select pid, " +
            "now() - xact_start as age, state, query from pg_stat_activity where xact_start < " +
            "now() - interval '1 minute'`, end it or wait for it, then start again; or raise " +
            "MIGRATION_LOCK_TIMEOUT_RETRIES (each attempt can block queries on that table for up " +
            "to lock_timeout).",
          { tag: where.tag, statement: where.statement, sqlState: failure.code, cause: error },
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

function migrationFailed(
  error: unknown,
  tracker: ApplyTracker,
  settings: MigratorSettings,
): MigrationError {
  const failure = postgresFailureOf(error);
  const where = tracker.describe(failedQueryOf(error));
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
    `${where.summary} failed: ${postgres}\nStatement: ${where.statement}\n` +
      "The pending migrations run in one transaction, which was rolled back: the schema and the " +
      "ledger are as they were before this run. If existing data blocks the statement, fix the " +
      "data and deploy again; if the statement is wrong, correct the migration (it is not " +
      "applied here; if another database already applied it, see the docs) and deploy again." +
      timeoutAdvice,
    { tag: where.tag, statement: where.statement, sqlState: failure?.code, cause: error },
  );
}

const LEDGER_INSERT = new RegExp(`^insert into "${LEDGER.schema}"\\."${LEDGER.table}"`, "i");

/**
 * A drizzle logger that follows `migrate()` through the pending migrations: it times each one,
 * tells which migration and statement failed, and refuses (by throwing, which rolls the
 * transaction back) to let drizzle record any migration other than the next validated one.
 */
class ApplyTracker implements Logger {
  private migrationIndex = 0;
  private statementIndex = -1;
  private migrationStarted: number | undefined;

  constructor(
    private readonly pending: MigrationFile[],
    private readonly log: (line: string) => void,
  ) {}

  logQuery(query: string, params: unknown[]): void {
    const current = this.pending[this.migrationIndex];
    if (LEDGER_INSERT.test(query.trim())) {
      const complete = current && this.statementIndex === current.statements.length - 1;
      if (
        !current ||
        !complete ||
        params[0] !== current.hash ||
        Number(params[1]) !== current.when
      ) {
        const wanted = current
          ? `${current.tag} after its ${current.statements.length} statement(s)`
          : "nothing more";
        throw new MigrationError(
          "APPLY_MISMATCH",
          `drizzle's migrate() was about to record the migration with hash ${String(params[0])} ` +
            `and when ${String(params[1])}, but the validated plan expected ${wanted}. The ` +
            "transaction was rolled back; nothing was applied. Run `npm run db:status`.",
          { tag: current?.tag },
        );
      }
      const took = performance.now() - (this.migrationStarted ?? performance.now());
      this.log(
        `[migrate] ran ${current.tag} in ${ms(took)} (${current.statements.length} statement(s))`,
      );
      this.migrationIndex++;
      this.statementIndex = -1;
      this.migrationStarted = undefined;
      return;
    }
    if (current && query === current.statements[this.statementIndex + 1]) {
      this.statementIndex++;
      this.migrationStarted ??= performance.now();
    }
  }

  /** Which migration and statement a failed query belongs to, for the error message. */
  describe(failedQuery: string | undefined): {
    tag: string | undefined;
    statement: string;
    summary: string;
  } {
    const current = this.pending[this.migrationIndex];
    const statement = excerpt(failedQuery ?? "(unknown)", 500);
    const index =
      current && failedQuery !== undefined ? current.statements.indexOf(failedQuery) : -1;
    if (current && index >= 0) {
      const position = `statement ${index + 1} of ${current.statements.length}`;
      return { tag: current.tag, statement, summary: `Migration ${current.tag}.sql (${position})` };
    }
    if (failedQuery !== undefined && LEDGER_INSERT.test(failedQuery.trim())) {
      const tag = current?.tag;
      return { tag, statement, summary: `Recording ${tag} in ${LEDGER.schema}.${LEDGER.table}` };
    }
    if (this.migrationIndex === 0 && this.statementIndex === -1) {
      return {
        tag: undefined,
        statement,
        summary: "drizzle's ledger setup (before any migration)",
      };
    }
    return { tag: current?.tag, statement, summary: `A statement during ${current?.tag}` };
  }
}
