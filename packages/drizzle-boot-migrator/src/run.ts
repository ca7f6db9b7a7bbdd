import path from "node:path";
import { setImmediate } from "node:timers/promises";
import type { Sql } from "postgres";
import { drizzleAdapter } from "./adapter.ts";
import { openMigratorConnection } from "./connection.ts";
import {
  type DriverSession,
  type MigratorDriver,
  type Queryable,
  sqlStateOf,
} from "./driver/port.ts";
import { postgresJsParameters, postgresJsQueryable } from "./driver/postgres-js.ts";
import type { LedgerRow, MigrationFile } from "./drizzle-0.45/format.ts";
import { describeError, MigrationError } from "./errors.ts";
import { backOffAfterLockTimeout, EXCLUSIVE_NEEDED, withMigrationLock } from "./lock.ts";
import { type Log, migratorLog, ms } from "./log.ts";
import { isNoTransaction } from "./no-transaction.ts";
import { runNoTransactionMigration } from "./no-transaction-run.ts";
import {
  describeTarget,
  type MigrationSet,
  type MigratorSettings,
  namedValue,
  nameOf,
  statusCommand,
} from "./settings.ts";
import { targetRefusal } from "./target-failures.ts";
import { MigrationSpans, traced } from "./tracing.ts";
import { excerpt, type MigrationPlan, type PlanOptions } from "./validation.ts";

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
  /** Where the run's events go; by default human-readable lines on stdout/stderr. */
  log?: Log;
  /**
   * The app's postgres.js pool on the same database as the migrations URL: the up-to-date check
   * then runs on one of its connections, which the pool keeps for the app (a cold start opens one
   * connection, not two). Applying always takes the migrator's own single connection. (A
   * node-postgres or Neon `Pool` given to `pgDriver` or `neonDriver` serves both.)
   */
  appPool?: Sql;
  /** How the migrator's own session connects: postgres.js to `settings.url` by default. */
  driver?: MigratorDriver;
}

/** A session to read on: a query, and what the server reported on connecting. */
type ReadSession = Queryable & Pick<DriverSession, "parameters">;

/** What the status command shows: the full comparison, problems listed rather than thrown. */
export interface MigrationStatus extends MigrationPlan {
  target: string;
  durationMs: number;
}

/**
 * Throws the first problem in full; the others follow grouped by code, each code once with the
 * migrations it concerns, and the README link once.
 */
function throwFirstProblem(
  { problems: [first, ...others] }: MigrationPlan,
  settings: MigratorSettings,
): void {
  if (!first) return;
  if (others.length === 0) throw first;
  const byCode = new Map<string, string[]>();
  for (const { code, tag } of others) byCode.set(code, [...(byCode.get(code) ?? []), tag ?? ""]);
  const groups = [...byCode].map(([code, tags]) => {
    const named = [...new Set(tags.filter(Boolean))];
    const shown = named.length > 10 ? [...named.slice(0, 10), "…"] : named;
    return `${code} ×${tags.length}${shown.length > 0 ? ` (${shown.join(", ")})` : ""}`;
  });
  throw new MigrationError(
    first.code,
    `${first.detail}\nAnd ${others.length} more problem(s): ${groups.join("; ")}. ` +
      `\`${statusCommand(settings)}\` explains each.`,
    { tag: first.tag },
  );
}

interface LedgerContext {
  plan: MigrationPlan;
  files: MigrationFile[];
  connectMs: number;
  readMs: number;
}

/**
 * The ledger in one query on `sql`, compared with the folder that `readFiles` returns. The folder
 * is read while the query travels: a driver puts a query on the wire at once or from a microtask
 * (postgres.js), so after one turn of the event loop it is sent, and on a cold start reading and
 * hashing `drizzle/` then costs nothing a round trip does not already cover.
 */
function readPlan(
  sql: ReadSession,
  readFiles: () => MigrationFile[],
  settings: MigratorSettings,
  serverVersion: string,
): Promise<{ plan: MigrationPlan; files: MigrationFile[]; readMs: number }> {
  return traced("migrate.ledger_read", {}, async (span) => {
    const started = performance.now();
    const ledger = drizzleAdapter(settings).readLedger(sql, settings.ledger);
    await setImmediate();
    let files: MigrationFile[];
    try {
      files = readFiles();
    } catch (error) {
      ledger.catch(() => {});
      throw error;
    }
    const rows = await ledger.catch(async (error: unknown) => {
      const failed = `Reading the ledger failed: ${describeError(error)}`;
      const kept = "Nothing was applied.";
      throw (await targetRefusal(error, sql, settings, { failed, kept })) ?? error;
    });
    span.setAttribute("migrate.ledger.rows", rows.length);
    const plan = await planGuarded(sql, files, rows, { ...settings, serverVersion });
    return { plan, files, readMs: performance.now() - started };
  });
}

/**
 * The folder compared with the ledger's `rows` and, while the ledger records nothing, with every
 * other drizzle ledger of the database (LEDGER_ELSEWHERE): a query that only a database whose
 * ledger is empty or missing pays for.
 */
async function planGuarded(
  sql: Queryable,
  files: MigrationFile[],
  rows: LedgerRow[],
  options: PlanOptions & Pick<MigratorSettings, "drizzleVersion">,
): Promise<MigrationPlan> {
  const adapter = drizzleAdapter(options);
  const elsewhere =
    rows.length === 0 && files.length > 0
      ? await adapter.findLedgersElsewhere(sql, options.ledger, files)
      : [];
  return adapter.planMigrations(files, rows, { ...options, elsewhere });
}

/**
 * Reads the folder, opens the migrator's connection and reads the ledger (one query): where both
 * CLIs and every apply start. The connection is closed at the end.
 */
async function withLedger<T>(
  settings: MigratorSettings,
  log: Log,
  driver: MigratorDriver | undefined,
  work: (context: LedgerContext & { session: DriverSession }) => Promise<T>,
): Promise<T> {
  const files = drizzleAdapter(settings).readMigrationFolder(settings.migrationsFolder);
  const { session, connectMs, serverVersion } = await traced("migrate.connect", {}, () =>
    openMigratorConnection(settings, log, driver),
  );
  try {
    const { plan, readMs } = await readPlan(session, () => files, settings, serverVersion);
    return await work({ plan, files, session, connectMs, readMs });
  } finally {
    await session.close();
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
  const connectStarted = performance.now();
  const reserved = await traced("migrate.connect", { "migrate.connection": "app-pool" }, () =>
    pool.reserve(),
  ).catch(() => undefined);
  if (!reserved) return undefined;
  const connectMs = performance.now() - connectStarted;
  try {
    const parameters = postgresJsParameters(pool);
    const serverVersion = String(parameters.server_version ?? "unknown");
    const readFiles = () => drizzleAdapter(settings).readMigrationFolder(settings.migrationsFolder);
    const session = { ...postgresJsQueryable(reserved), parameters };
    return { connectMs, ...(await readPlan(session, readFiles, settings, serverVersion)) };
  } finally {
    reserved.release();
  }
}

/**
 * The ledger compared with the folder, listing every problem; never locks, never writes. With
 * `appPool` (health, on the app's own URL) it reads on a connection of the app's pool.
 */
export async function inspectMigrations(
  settings: MigratorSettings,
  options: Pick<MigratorOptions, "log" | "appPool" | "driver"> = {},
): Promise<MigrationStatus> {
  const started = performance.now();
  const status = ({ plan }: LedgerContext) => ({
    ...plan,
    target: describeTarget(settings),
    durationMs: performance.now() - started,
  });
  const pooled = options.appPool && (await readPlanOnAppPool(options.appPool, settings));
  if (pooled) return status(pooled);
  return withLedger(settings, options.log ?? migratorLog(), options.driver, async (context) =>
    status(context),
  );
}

/**
 * Brings the database to the folder's latest migration ("apply") or only checks it ("check").
 * Up to date: one connection (or one of the app pool's: `appPool`), one query, one log line, no
 * lock. Otherwise, on its own connection, in one transaction holding the migration lock: the
 * ledger is read and validated again (another instance may have done the work) and drizzle-orm's
 * `migrate()` runs. Throws `MigrationError` (its message says what to do); nothing is written
 * before validation passes. Traced as the span `migrate.run`, each step a child span.
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

/** One set's outcome in a run over several (`runMigrationSets`). */
export interface SetReport {
  set: MigrationSet;
  report: MigratorReport;
}

/**
 * Brings each set up to date in order, each with its own folder and ledger: `run` (runMigrator)
 * per set, so each has its own fast path and takes the migration lock only when it has work.
 * Stops at the first failure, since a later set may build on an earlier one's tables.
 */
export async function runMigrationSets(
  settings: MigratorSettings,
  sets: MigrationSet[],
  options: MigratorOptions,
  run: typeof runMigrator = runMigrator,
): Promise<SetReport[]> {
  const reports: SetReport[] = [];
  for (const set of sets) {
    const log = sets.length > 1 ? logNamingSet(options.log ?? migratorLog(), set) : options.log;
    reports.push({ set, report: await run({ ...settings, ...set }, { ...options, log }) });
  }
  return reports;
}

/** `log` with each line starting `<set>: ` and a `set` field, so several sets' lines tell apart. */
function logNamingSet(log: Log, set: MigrationSet): Log {
  const label = setLabel(set);
  const named =
    (level: keyof Log): Log[keyof Log] =>
    (event, message, fields) =>
      log[level](event, `${label}: ${message}`, { ...fields, set: label });
  return { info: named("info"), warn: named("warn"), error: named("error") };
}

/** Each set inspected (`inspect`: inspectMigrations), in order. */
export async function inspectMigrationSets(
  settings: MigratorSettings,
  sets: MigrationSet[],
  options: Parameters<typeof inspectMigrations>[1],
  inspect: typeof inspectMigrations = inspectMigrations,
): Promise<{ set: MigrationSet; status: MigrationStatus }[]> {
  const statuses: { set: MigrationSet; status: MigrationStatus }[] = [];
  for (const set of sets)
    statuses.push({ set, status: await inspect({ ...settings, ...set }, options) });
  return statuses;
}

/** An inspected set's version and pending tags, as `combineSets` takes them. */
export function pendingTags({ set, status }: { set: MigrationSet; status: MigrationStatus }) {
  return { set, version: status.version, pending: status.pending.map((file) => file.tag) };
}

/**
 * A set's name in messages: its folder, relative to the working directory when inside it
 * (`drizzle`, `upstream/drizzle`), else absolute.
 */
export function setLabel(set: MigrationSet): string {
  const relative = path.relative(process.cwd(), set.migrationsFolder);
  return relative.startsWith("..") || path.isAbsolute(relative) ? set.migrationsFolder : relative;
}

/**
 * Several sets' outcomes as one version and pending list, for the published state: the last
 * set's version (the app's own set comes last), and every set's pending migrations, named
 * `<folder>/<tag>` when there are several sets (two folders may both have a `0000_…`).
 */
export function combineSets(
  results: { set: MigrationSet; version: string | null; pending: string[] }[],
): { version: string | null; pending: string[] } {
  const several = results.length > 1;
  return {
    version: results.at(-1)?.version ?? null,
    pending: results.flatMap(({ set, pending }) =>
      several ? pending.map((tag) => `${setLabel(set)}/${tag}`) : pending,
    ),
  };
}

async function bringUpToDate(
  settings: MigratorSettings,
  options: MigratorOptions,
  log: Log,
): Promise<MigratorReport> {
  const started = performance.now();
  const target = describeTarget(settings);
  const total = () => `total ${ms(performance.now() - started)}`;
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
    const timings = `connect ${ms(connectMs)}, ledger read ${ms(readMs)}`;
    const facts = { connectMs, ledgerReadMs: readMs, version: plan.version };
    for (const warning of plan.warnings) log.warn("migrate.journal_order", warning);
    throwFirstProblem(plan, settings);
    const pending = plan.pending.map((file) => file.tag);
    if (pending.length === 0 && !plan.ledgerUpgrade) {
      log.info(
        "migrate.up_to_date",
        `${target} is up to date at ${plan.version ?? "(no migrations)"} ` +
          `(${plan.total} migrations; ${timings}, ${total()})`,
        { ...facts, migrations: plan.total, durationMs: performance.now() - started },
      );
      return report(context, plan.version, [], []);
    }
    if (options.mode === "apply") return undefined;
    log.info(
      "migrate.pending",
      `check: ${target} is at ${plan.version ?? "(nothing applied)"}, ` +
        `${pendingList(plan)} (${timings}, ${total()})`,
      { ...facts, pending, durationMs: performance.now() - started },
    );
    return report(context, plan.version, pending, []);
  };

  if (options.appPool) {
    const context = await readPlanOnAppPool(options.appPool, settings);
    const done = context && withoutApplying(context);
    if (done) return done;
  }
  return withLedger(settings, log, options.driver, async (context) => {
    const done = withoutApplying(context);
    if (done) return done;
    const { plan, files, session, connectMs } = context;
    log.info(
      "migrate.connected",
      `connected to ${target} in ${ms(connectMs)}; ${pendingList(plan)}`,
      { connectMs, pending: plan.pending.map((file) => file.tag) },
    );
    const appliedNow = await applyInSteps(session, files, settings, log);
    const version = files.at(-1)?.tag ?? null;
    log.info(
      "migrate.done",
      `done: applied ${appliedNow.length} migration(s), ${target} is at ${version} (${total()})`,
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
 * Until nothing is pending: the ordinary migrations up to the next `-- no-transaction` one in one
 * transaction, then that one on its own (no-transaction-run.ts), then the next ones.
 */
async function applyInSteps(
  client: DriverSession,
  files: MigrationFile[],
  settings: MigratorSettings,
  log: Log,
): Promise<string[]> {
  const appliedNow: string[] = [];
  for (;;) {
    const step = await applyWithRetries(client, files, settings, log);
    appliedNow.push(...step.applied);
    const next = step.noTransactionNext;
    if (!next) return appliedNow;
    const applied = await runNoTransactionMigration(next, {
      client,
      settings,
      log,
      stillNext: async () => {
        const plan = await planGuarded(
          client,
          files,
          await drizzleAdapter(settings).readLedger(client, settings.ledger),
          settings,
        );
        throwFirstProblem(plan, settings);
        return plan.pending[0]?.tag === next.tag;
      },
      record: async () => {
        // drizzle's dialect, loaded only when something is applied: an up-to-date boot never
        // loads it.
        const { recordInTransaction } = await drizzleAdapter(settings).apply();
        return client.transaction((tx) => recordInTransaction(tx, settings, next));
      },
    });
    if (applied) appliedNow.push(next.tag);
  }
}

/**
 * Applies, in one transaction under the lock, the pending migrations up to the first
 * `-- no-transaction` one, which it returns for its own step. A statement that hit
 * `lock_timeout` (55P03) rolled the transaction back, lock included, and the batch runs again
 * after a backoff.
 */
async function applyWithRetries(
  client: DriverSession,
  files: MigrationFile[],
  settings: MigratorSettings,
  log: Log,
): Promise<{ applied: string[]; noTransactionNext?: MigrationFile }> {
  for (let attempt = 0; ; attempt++) {
    let pending: MigrationFile[] = [];
    let spans: MigrationSpans | undefined;
    const started = performance.now();
    try {
      const step = await withMigrationLock(client, settings, log, async (locked) => {
        const adapter = drizzleAdapter(settings);
        const rows = await adapter.readLedger(locked.tx, settings.ledger, { inTransaction: true });
        const plan = await planGuarded(locked.tx, files, rows, settings);
        throwFirstProblem(plan, settings);
        if (plan.pending.length === 0 && !plan.ledgerUpgrade) {
          log.info(
            "migrate.applied_elsewhere",
            "another instance applied the pending migrations while this one waited",
          );
          return { applied: [] };
        }
        const end = plan.pending.findIndex((file) => isNoTransaction(file.statements));
        pending = end === -1 ? plan.pending : plan.pending.slice(0, end);
        const noTransactionNext = plan.pending[end];
        // A ledger upgrade comes first, also before a `-- no-transaction` migration.
        if (pending.length === 0 && !plan.ledgerUpgrade) return { applied: [], noTransactionNext };
        if (!locked.exclusive) return EXCLUSIVE_NEEDED;
        spans = new MigrationSpans(pending);
        const { migrateInTransaction } = await adapter.apply();
        await migrateInTransaction(locked, settings, pending, log, spans, {
          files,
          plan,
        });
        return { applied: pending.map((file) => file.tag), noTransactionNext };
      });
      if (step.applied.length > 0) {
        const took = performance.now() - started;
        log.info(
          "migrate.committed",
          `committed ${step.applied.length} migration(s) in ${ms(took)}`,
          {
            applied: step.applied,
            durationMs: took,
          },
        );
      }
      return step;
    } catch (error) {
      const fatal = (failure: MigrationError) => {
        spans?.fail(failure);
        return failure;
      };
      if (error instanceof MigrationError) throw fatal(error);
      const { tag, statement, summary } = drizzleAdapter(settings).locateFailure(error, pending);
      const sqlState = sqlStateOf(error);
      const failed = `${summary} failed: ${describeError(error)}\nStatement: ${excerpt(statement ?? "(unknown)", 500)}`;
      const refusal = await targetRefusal(error, client, settings, {
        tag,
        statement: statement?.trim(),
        failed,
        kept: "The pending migrations' transaction was rolled back: nothing of it was applied.",
      });
      if (refusal) throw fatal(refusal);
      if (sqlState === "55P03" && attempt < settings.lockTimeoutRetries) {
        spans?.fail(error, { code: "LOCK_TIMEOUT", message: failed, tag, sqlState });
        await backOffAfterLockTimeout(attempt, settings, log, {
          what: summary,
          undone: ", rolled back",
          tag,
        });
        continue;
      }
      if (sqlState === "55P03") {
        throw fatal(
          new MigrationError(
            "LOCK_TIMEOUT_RETRIES_EXHAUSTED",
            `${failed}\nIt waited longer than lock_timeout (${namedValue(settings, "lockTimeoutMs")}) ` +
              `for a table lock in ${attempt + 1} attempt(s); nothing ` +
              "was applied. A long-running transaction holds that table: end it or wait for it " +
              `(pg_stat_activity shows it), or raise ${nameOf(settings, "lockTimeoutRetries")}.`,
            { tag, statement: statement?.trim(), sqlState, cause: error },
          ),
        );
      }
      throw fatal(
        new MigrationError(
          "MIGRATION_FAILED",
          `${failed}\nThe pending migrations run in one transaction, which was rolled back: schema ` +
            "and ledger are as they were. Fix the data that blocks the statement, or correct the " +
            "migration (it is applied nowhere yet unless another database ran it), and deploy again." +
            (sqlState === "57014"
              ? `\nThe statement ran longer than statement_timeout (${namedValue(settings, "statementTimeoutMs")}); ` +
                "raise it for this deploy if that is expected."
              : ""),
          { tag, statement: statement?.trim(), sqlState, cause: error },
        ),
      );
    }
  }
}
