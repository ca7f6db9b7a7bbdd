import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type DriverSession,
  type DriverTransaction,
  isConnectionLoss,
  type Queryable,
  sqlStateOf,
} from "./driver/port.ts";
import { DRIZZLE_LEDGER } from "./drizzle-0.45/format.ts";
import { describeError, MigrationError } from "./errors.ts";
import { type Log, ms, seconds } from "./log.ts";
import { type MigratorSettings, namedValue, statusCommand } from "./settings.ts";
import { type Step, startStep } from "./tracing.ts";

/**
 * The advisory lock key: the first 8 bytes of SHA-256("drizzle.__drizzle_migrations") as a signed
 * big-endian 64-bit integer (4026692762179956003), so every copy of the app and any tool following
 * the README agree on it, and it cannot collide with 32-bit `hashtext` keys. It is named
 * after drizzle's default ledger but stays the same whatever ledger the settings name: one lock
 * per database, so that of two migrators set to different ledgers (a deploy that changes the
 * setting), the second finds the first's rows and refuses (LEDGER_ELSEWHERE) instead of applying
 * the same migrations into its own ledger.
 */
export const MIGRATION_LOCK_KEY: bigint = createHash("sha256")
  .update(`${DRIZZLE_LEDGER.schema}.${DRIZZLE_LEDGER.table}`)
  .digest()
  .readBigInt64BE(0);

/** How `pg_locks` shows a bigint advisory key: high half in classid, low half in objid. */
export const MIGRATION_LOCK_PG_LOCKS = {
  classid: Number(BigInt.asUintN(32, MIGRATION_LOCK_KEY >> 32n)),
  objid: Number(BigInt.asUintN(32, MIGRATION_LOCK_KEY)),
  objsubid: 1,
} as const;

/** How often a waiting migrator logs who holds the lock. */
const HOLDER_LOG_EVERY_MS = 5_000;
/**
 * The longest one blocking wait lasts, kept well under Postgres's `deadlock_timeout` (1 s by
 * default). A waiter blocked in a statement holds a snapshot, and a `CREATE INDEX CONCURRENTLY`
 * of a `-- no-transaction` migration (run by the lock's holder) waits for every older snapshot:
 * a longer wait closes a cycle that Postgres breaks after `deadlock_timeout` by cancelling the
 * waiter or the build (40P01). Ending the waiter's transaction first lets the build go on.
 */
const WAIT_SLICE_MS = 200;
const LOCK_BUSY = Symbol("the migration lock is held by another session");
/** What `work` returns, when it holds the lock shared, to say it must hold it exclusively. */
export const EXCLUSIVE_NEEDED = Symbol("the work needs the migration lock exclusively");

/**
 * Who holds the migration lock, for the logs. Postgres does not record when an advisory lock was
 * granted, so the holder's session start and current state stand in.
 */
async function describeLockHolder(sql: Queryable): Promise<string> {
  const [holder] = await sql.query<{ text: string }>(
    `select format('pid %s, application_name "%s", session started %s s ago, %s for %s s%s',
        l.pid, a.application_name, round(extract(epoch from now() - a.backend_start)), a.state,
        round(extract(epoch from now() - a.state_change)),
        ': ' || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120)) as text
    from pg_locks l left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted
      and l.database = (select oid from pg_database where datname = current_database())
      and (l.classid, l.objid, l.objsubid) = ($1::oid, $2::oid, $3::int2)`,
    [
      MIGRATION_LOCK_PG_LOCKS.classid,
      MIGRATION_LOCK_PG_LOCKS.objid,
      MIGRATION_LOCK_PG_LOCKS.objsubid,
    ],
  );
  return holder?.text ?? "nobody any more";
}

/**
 * Logs `migrate.lock_wait`, naming who holds the lock, at most every `HOLDER_LOG_EVERY_MS`: both
 * lock waits (transaction and session level) report through one.
 */
function lockWaitReporter(
  settings: MigratorSettings,
  log: Log,
  onHolder?: (holder: string) => void,
) {
  let nextHolderLog = 0;
  return async (sql: Queryable, waited: number): Promise<void> => {
    if (waited < nextHolderLog) return;
    const holder = await describeLockHolder(sql);
    onHolder?.(holder);
    log.info(
      "migrate.lock_wait",
      `waiting for the migration lock (${seconds(waited)} of ` +
        `${seconds(settings.lockWaitMs)}), held by ${holder}`,
      { waitedMs: waited, lockWaitMs: settings.lockWaitMs, holder },
    );
    nextHolderLog = waited + HOLDER_LOG_EVERY_MS;
  };
}

/**
 * After a statement hit `lock_timeout` (55P03) on `attempt` (0 for the first): false when the
 * retries are used up; else logs `migrate.lock_timeout_retry` and waits the backoff (1 s,
 * doubling, at most 15 s) before the caller runs it again. `what` names what hit it, `undone`
 * what became of its work.
 */
export async function backOffAfterLockTimeout(
  attempt: number,
  settings: MigratorSettings,
  log: Log,
  { what, undone, tag }: { what: string; undone: string; tag?: string },
): Promise<boolean> {
  if (attempt >= settings.lockTimeoutRetries) return false;
  const delay = Math.min(1_000 * 2 ** attempt, 15_000);
  log.warn(
    "migrate.lock_timeout_retry",
    `${what} hit lock_timeout (${settings.lockTimeoutMs} ms)${undone}; ` +
      `retry ${attempt + 1} of ${settings.lockTimeoutRetries} in ${ms(delay)}`,
    { tag, attempt: attempt + 1, retries: settings.lockTimeoutRetries, retryInMs: delay },
  );
  await sleep(delay);
  return true;
}

export interface LockedTransaction {
  tx: DriverTransaction;
  /** Exclusive: may write. Shared: another instance has just released it; may only read. */
  exclusive: boolean;
  /** False once the transaction has ended, even if `work` is still running (connection lost). */
  inTransaction: () => boolean;
}

/**
 * Runs `work` in one transaction holding the migration lock (`pg_advisory_xact_lock`): it ends
 * with the transaction (commit, rollback, or the session's end), so it can neither outlive the
 * work nor stay on a pooled server connection, and a transaction pooler keeps a transaction on
 * one server connection. Every setting is transaction-local (`set_config(..., true)`) likewise.
 *
 * A migrator that finds the lock taken waits for it in shared mode, blocking in Postgres: when
 * the holder's transaction ends, every shared waiter is granted at once and can see the work done
 * (readers do not exclude each other). If `work` still has something to write, it returns
 * `EXCLUSIVE_NEEDED` and the next transaction waits for the lock exclusively. Each wait is one
 * short transaction bounded by `lock_timeout` (`WAIT_SLICE_MS`), so that it logs the holder every
 * few seconds, gives up at `lockWaitMs`, and never holds a snapshot long enough to
 * deadlock with an index build.
 */
export async function withMigrationLock<T>(
  client: DriverSession,
  settings: MigratorSettings,
  log: Log,
  work: (locked: LockedTransaction) => Promise<T | typeof EXCLUSIVE_NEEDED>,
): Promise<T> {
  const waitSpan = startStep("migrate.lock_wait", {
    "migrate.lock.wait_limit_ms": settings.lockWaitMs,
  });
  try {
    return await lockAndRun(client, settings, log, waitSpan, work);
  } catch (error) {
    // A failure while waiting (LOCK_WAIT_TIMEOUT, a lost connection) ends the wait's span; once
    // the lock is held the span has ended and `fail` does nothing.
    waitSpan.fail(error);
    throw error;
  }
}

/** withMigrationLock's loop; `waitSpan` ends when the lock is granted. */
async function lockAndRun<T>(
  client: DriverSession,
  settings: MigratorSettings,
  log: Log,
  waitSpan: Step,
  work: (locked: LockedTransaction) => Promise<T | typeof EXCLUSIVE_NEEDED>,
): Promise<T> {
  const started = performance.now();
  const key = MIGRATION_LOCK_KEY.toString();
  const reportWait = lockWaitReporter(settings, log, (holder) =>
    waitSpan.span.setAttribute("migrate.lock.holder", holder),
  );
  let waitExclusively = false;
  for (;;) {
    let ended = false;
    let failedInside: unknown;
    try {
      const outcome = await client.transaction(async (tx) => {
        const waited = performance.now() - started;
        const slice = Math.max(1, Math.min(WAIT_SLICE_MS, settings.lockWaitMs - waited));
        const [row] = await tx.query<{ locked: boolean; pid: number }>(
          `select pg_try_advisory_xact_lock($1::bigint) as locked, pg_backend_pid() as pid,
            set_config('lock_timeout', $2, true),
            set_config('statement_timeout', $3, true),
            set_config('idle_in_transaction_session_timeout', $4, true),
            set_config('client_connection_check_interval', '1000', true)`,
          [
            key,
            String(slice),
            String(settings.statementTimeoutMs),
            String(settings.idleInTransactionTimeoutMs),
          ],
        );
        if (!row?.locked) {
          if (waited >= settings.lockWaitMs) return LOCK_BUSY;
          await reportWait(tx, waited);
          const wait = waitExclusively ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared";
          // lock_timeout ends the wait (55P03), or statement_timeout when it is the shorter (57014).
          await tx.query(`select ${wait}($1::bigint)`, [key]).catch((error: unknown) => {
            throw ["55P03", "57014"].includes(sqlStateOf(error) ?? "") ? LOCK_BUSY : error;
          });
        }
        const exclusive = Boolean(row?.locked) || waitExclusively;
        if (exclusive) {
          // Read back from the server, so the log shows what is in force (also through a pooler).
          const [set] = await tx.query<{ lock: string; statement: string; idle: string }>(
            `select set_config('lock_timeout', $1, true) as lock,
              current_setting('statement_timeout') as statement,
              current_setting('idle_in_transaction_session_timeout') as idle`,
            [String(settings.lockTimeoutMs)],
          );
          const waitedMs = performance.now() - started;
          log.info(
            "migrate.lock_acquired",
            `took the migration lock in ${ms(waitedMs)} (backend ` +
              `pid ${row?.pid}; lock_timeout ${set?.lock}, statement_timeout ${set?.statement}, ` +
              `idle_in_transaction_session_timeout ${set?.idle})`,
            { waitedMs, pid: row?.pid },
          );
        }
        waitSpan.end();
        try {
          return { value: await work({ tx, exclusive, inTransaction: () => !ended }) };
        } catch (error) {
          failedInside = error;
          if (isConnectionLoss(error)) await client.abort();
          throw error;
        }
      });
      if (outcome !== LOCK_BUSY && outcome.value !== EXCLUSIVE_NEEDED) return outcome.value as T;
      waitExclusively ||= outcome !== LOCK_BUSY;
    } catch (error) {
      if (error !== LOCK_BUSY && !isConnectionLoss(error)) throw error;
      if (error !== LOCK_BUSY) {
        await client.abort();
        throw connectionLost(failedInside ?? error, settings);
      }
    } finally {
      ended = true;
    }
    const waited = performance.now() - started;
    if (waited >= settings.lockWaitMs) throw await lockWaitTimeout(client, waited, settings);
  }
}

/** `LOCK_WAIT_TIMEOUT`, naming who holds the lock. */
async function lockWaitTimeout(
  client: Queryable,
  waited: number,
  settings: MigratorSettings,
): Promise<MigrationError> {
  return new MigrationError(
    "LOCK_WAIT_TIMEOUT",
    `Gave up waiting for the migration lock after ${seconds(waited)} ` +
      `(${namedValue(settings, "lockWaitMs")}); it is held by ` +
      `${await describeLockHolder(client)}. If that session is another instance migrating, ` +
      "let it finish; if it is stuck, end it with `select pg_terminate_backend(<pid>)`.",
  );
}

function connectionLost(error: unknown, settings: MigratorSettings): MigrationError {
  return new MigrationError(
    "CONNECTION_LOST",
    `The migrator's connection ended in the middle of its migration transaction ` +
      `(${describeError(error)}). Postgres rolled the transaction back and released the lock: ` +
      "nothing of this run was applied. Either this process stopped answering for longer than " +
      `${namedValue(settings, "idleInTransactionTimeoutMs")} (paused ` +
      "or frozen), or the database ended the session (restart, failover, pg_terminate_backend). " +
      `Another instance may have migrated since: run \`${statusCommand(settings)}\`, then start again.`,
    { cause: error },
  );
}

/** How often a session-level wait polls (`withSessionLock`). */
const SESSION_LOCK_POLL_MS = 250;

/**
 * Runs `work` holding the migration lock at session level, for a `-- no-transaction` migration
 * whose statements each commit on their own (no transaction can carry the lock). It polls
 * `pg_try_advisory_lock` so that no waiting statement holds a snapshot: a CONCURRENTLY build
 * waits for every older snapshot, which would deadlock with a waiter blocked in a statement.
 * The unlock is best effort: if the session was lost, the lock went with it.
 */
export async function withSessionLock<T>(
  client: DriverSession,
  settings: MigratorSettings,
  log: Log,
  work: (pid: number) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const reportWait = lockWaitReporter(settings, log);
  let pid: number;
  for (;;) {
    const [row] = await client.query<{ locked: boolean; pid: number }>(
      "select pg_try_advisory_lock($1::bigint) as locked, pg_backend_pid() as pid",
      [MIGRATION_LOCK_KEY.toString()],
    );
    const waited = performance.now() - started;
    if (row?.locked) {
      pid = row.pid;
      break;
    }
    if (waited >= settings.lockWaitMs) throw await lockWaitTimeout(client, waited, settings);
    await reportWait(client, waited);
    await sleep(
      Math.min(SESSION_LOCK_POLL_MS * (0.5 + Math.random()), settings.lockWaitMs - waited),
    );
  }
  // Outside a transaction the session sits "idle", not "idle in transaction", between two
  // statements: only idle_session_timeout ends a silent (paused, frozen) holder's session, and
  // the lock with it. Reset before the unlock, so that it does not outlive this step.
  const [set] = await client.query<{ idle: string }>(
    `select set_config('idle_session_timeout', $1, false),
      current_setting('idle_session_timeout') as idle`,
    [String(settings.idleSessionTimeoutMs)],
  );
  log.info(
    "migrate.lock_acquired",
    `took the migration lock for a migration outside a transaction (backend pid ${pid}; ` +
      `idle_session_timeout ${set?.idle})`,
    { pid },
  );
  try {
    return await work(pid);
  } finally {
    await client.query("reset idle_session_timeout").catch(() => {});
    await client
      .query("select pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY.toString()])
      .catch(() => {});
  }
}

/**
 * Before each statement of a `-- no-transaction` migration and before recording it: the session
 * that took the lock is still the one running them. After `idle_session_timeout` ended a paused
 * migrator's session, postgres.js would silently open a new one (without the lock); through a
 * transaction pooler, each statement lands on any server connection.
 */
export async function assertHoldingSessionLock(
  client: Queryable,
  pid: number,
  tag: string,
  settings: MigratorSettings,
) {
  const [row] = await client
    .query<{ pid: number; held: boolean }>(
      `select pg_backend_pid() as pid, exists (
        select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
          and database = (select oid from pg_database where datname = current_database())
          and classid = $1::oid and objid = $2::oid and objsubid = $3::int2) as held`,
      [
        MIGRATION_LOCK_PG_LOCKS.classid,
        MIGRATION_LOCK_PG_LOCKS.objid,
        MIGRATION_LOCK_PG_LOCKS.objsubid,
      ],
    )
    .catch((error: unknown) => {
      throw isConnectionLoss(error)
        ? sessionLost(tag, settings, describeError(error), error)
        : error;
    });
  if (row?.pid === pid && row.held) return;
  throw sessionLost(
    tag,
    settings,
    `the lock was taken by backend pid ${pid}, the session is now pid ${row?.pid}`,
  );
}

/** `CONNECTION_LOST` for a `-- no-transaction` migration whose session (and lock) ended. */
export function sessionLost(
  tag: string,
  settings: MigratorSettings,
  detail: string,
  cause?: unknown,
): MigrationError {
  return new MigrationError(
    "CONNECTION_LOST",
    `${tag} runs outside a transaction, and the session holding the migration lock ended before ` +
      `it was done (${detail}). It is not recorded; statements of it that ran stay applied, and ` +
      "the next run repeats it from the start. Either this process stopped answering for longer " +
      `than ${namedValue(settings, "idleSessionTimeoutMs")} (paused or ` +
      "frozen), or the database ended the session, or the URL goes through a transaction pooler " +
      `(use a direct connection: ${settings.names?.directUrl ?? settings.urlVariable}). Another ` +
      `instance may have applied it since: run \`${statusCommand(settings)}\`, then start again.`,
    { tag, cause },
  );
}
