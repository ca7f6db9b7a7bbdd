import { createHash } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
import { LEDGER } from "./drizzle-0.45";
import { describeError, MigrationError, postgresFailureOf } from "./errors";
import { type Log, ms, seconds } from "./log";
import type { MigratorSettings } from "./settings";

/**
 * The advisory lock key: the first 8 bytes of SHA-256("drizzle.__drizzle_migrations") as a signed
 * big-endian 64-bit integer (4026692762179956003), so every copy of the app and any tool following
 * docs/migrations.md agree on it, and it cannot collide with 32-bit `hashtext` keys.
 */
export const MIGRATION_LOCK_KEY: bigint = createHash("sha256")
  .update(`${LEDGER.schema}.${LEDGER.table}`)
  .digest()
  .readBigInt64BE(0);

/** How `pg_locks` shows a bigint advisory key: high half in classid, low half in objid. */
export const MIGRATION_LOCK_PG_LOCKS = {
  classid: Number(BigInt.asUintN(32, MIGRATION_LOCK_KEY >> 32n)),
  objid: Number(BigInt.asUintN(32, MIGRATION_LOCK_KEY)),
  objsubid: 1,
} as const;

/** How long one blocking wait lasts: how often a waiting migrator logs the holder. */
const WAIT_SLICE_MS = 5_000;
const LOCK_BUSY = Symbol("the migration lock is held by another session");
/** What `work` returns, when it holds the lock shared, to say it must hold it exclusively. */
export const EXCLUSIVE_NEEDED = Symbol("the work needs the migration lock exclusively");

/**
 * Who holds the migration lock, for the logs. Postgres does not record when an advisory lock was
 * granted, so the holder's session start and current state stand in.
 */
async function describeLockHolder(sql: Sql | TransactionSql): Promise<string> {
  const [holder] = await sql<{ text: string }[]>`
    select format('pid %s, application_name "%s", session started %s s ago, %s for %s s%s',
        l.pid, a.application_name, round(extract(epoch from now() - a.backend_start)), a.state,
        round(extract(epoch from now() - a.state_change)),
        ': ' || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120)) as text
    from pg_locks l left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted
      and l.database = (select oid from pg_database where datname = current_database())
      and (l.classid, l.objid, l.objsubid) = (${MIGRATION_LOCK_PG_LOCKS.classid}::oid,
        ${MIGRATION_LOCK_PG_LOCKS.objid}::oid, ${MIGRATION_LOCK_PG_LOCKS.objsubid})`;
  return holder?.text ?? "nobody any more";
}

export interface LockedTransaction {
  tx: TransactionSql;
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
 * `EXCLUSIVE_NEEDED` and the next transaction waits for the lock exclusively. Each wait is
 * bounded by `lock_timeout`, so that it logs the holder every few seconds and gives up at
 * `MIGRATION_LOCK_WAIT_MS`.
 */
export async function withMigrationLock<T>(
  client: Sql,
  settings: MigratorSettings,
  log: Log,
  work: (locked: LockedTransaction) => Promise<T | typeof EXCLUSIVE_NEEDED>,
): Promise<T> {
  const started = performance.now();
  const key = MIGRATION_LOCK_KEY.toString();
  let nextHolderLog = 0;
  let waitExclusively = false;
  for (;;) {
    let ended = false;
    let failedInside: unknown;
    try {
      const outcome = await client.begin(async (tx) => {
        const waited = performance.now() - started;
        const slice = Math.max(1, Math.min(WAIT_SLICE_MS, settings.lockWaitMs - waited));
        const [row] = await tx<{ locked: boolean; pid: number }[]>`
          select pg_try_advisory_xact_lock(${key}::bigint) as locked, pg_backend_pid() as pid,
            set_config('lock_timeout', ${String(slice)}, true),
            set_config('statement_timeout', ${String(settings.statementTimeoutMs)}, true),
            set_config('idle_in_transaction_session_timeout',
              ${String(settings.idleInTransactionTimeoutMs)}, true),
            set_config('client_connection_check_interval', '1000', true)`;
        if (!row?.locked) {
          if (waited >= settings.lockWaitMs) return LOCK_BUSY;
          if (waited >= nextHolderLog) {
            log(
              `[migrate] waiting for the migration lock (${seconds(waited)} of ` +
                `${seconds(settings.lockWaitMs)}), held by ${await describeLockHolder(tx)}`,
            );
            nextHolderLog = waited + WAIT_SLICE_MS;
          }
          const wait = waitExclusively
            ? tx`select pg_advisory_xact_lock(${key}::bigint)`
            : tx`select pg_advisory_xact_lock_shared(${key}::bigint)`;
          // lock_timeout ends the wait (55P03), or statement_timeout when it is the shorter (57014).
          await wait.catch((error: unknown) => {
            const code = postgresFailureOf(error)?.code ?? "";
            throw ["55P03", "57014"].includes(code) ? LOCK_BUSY : error;
          });
        }
        const exclusive = Boolean(row?.locked) || waitExclusively;
        if (exclusive) {
          // Read back from the server, so the log shows what is in force (also through a pooler).
          const [set] = await tx<{ lock: string; statement: string; idle: string }[]>`
            select set_config('lock_timeout', ${String(settings.lockTimeoutMs)}, true) as lock,
              current_setting('statement_timeout') as statement,
              current_setting('idle_in_transaction_session_timeout') as idle`;
          log(
            `[migrate] took the migration lock in ${ms(performance.now() - started)} (backend ` +
              `pid ${row?.pid}; lock_timeout ${set?.lock}, statement_timeout ${set?.statement}, ` +
              `idle_in_transaction_session_timeout ${set?.idle})`,
          );
        }
        try {
          return { value: await work({ tx, exclusive, inTransaction: () => !ended }) };
        } catch (error) {
          failedInside = error;
          // postgres.js would write its rollback to the dead socket and crash
          // (porsager/postgres#1208); an ended client fails that rollback instead.
          if (isConnectionLoss(error)) await client.end({ timeout: 0 });
          throw error;
        }
      });
      if (outcome !== LOCK_BUSY && outcome.value !== EXCLUSIVE_NEEDED) return outcome.value as T;
      waitExclusively ||= outcome !== LOCK_BUSY;
    } catch (error) {
      if (error !== LOCK_BUSY && !isConnectionLoss(error)) throw error;
      if (error !== LOCK_BUSY) {
        await client.end({ timeout: 0 });
        throw connectionLost(failedInside ?? error, settings);
      }
    } finally {
      ended = true;
    }
    const waited = performance.now() - started;
    if (waited >= settings.lockWaitMs) {
      throw new MigrationError(
        "LOCK_WAIT_TIMEOUT",
        `Gave up waiting for the migration lock after ${seconds(waited)} ` +
          `(MIGRATION_LOCK_WAIT_MS=${settings.lockWaitMs}); it is held by ` +
          `${await describeLockHolder(client)}. If that session is another instance migrating, ` +
          "let it finish; if it is stuck, end it with `select pg_terminate_backend(<pid>)`.",
      );
    }
  }
}

/** The session is gone (closed, terminated 57P01, idle timeout 25P03); drizzle wraps the cause. */
function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = String((current as { code?: unknown }).code);
    if (/^(CONNECTION_(CLOSED|ENDED|DESTROYED)|ECONNRESET|57P01|25P03)$/.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function connectionLost(error: unknown, settings: MigratorSettings): MigrationError {
  return new MigrationError(
    "CONNECTION_LOST",
    `The migrator's connection ended in the middle of its migration transaction ` +
      `(${describeError(error)}). Postgres rolled the transaction back and released the lock: ` +
      "nothing of this run was applied. Either this process stopped answering for longer than " +
      `MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS=${settings.idleInTransactionTimeoutMs} (paused ` +
      "or frozen), or the database ended the session (restart, failover, pg_terminate_backend). " +
      "Another instance may have migrated since: run `npm run db:status`, then start again.",
    { cause: error },
  );
}
