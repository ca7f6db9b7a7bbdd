import { createHash } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
import { LEDGER } from "./drizzle-0.45";
import { MigrationError, postgresFailureOf } from "./errors";
import { type Log, ms, seconds } from "./log";
import type { MigratorSettings } from "./settings";

/**
 * The advisory lock key: the first 8 bytes of SHA-256("drizzle.__drizzle_migrations") read as a
 * signed big-endian 64-bit integer (4026692762179956003). Derived from the ledger's name, so
 * every copy of this app (and any tool that follows docs/migrations.md) agrees on it, and it
 * cannot collide with the 32-bit `hashtext` keys other tools use. In SQL:
 * `('x' || left(encode(sha256('drizzle.__drizzle_migrations'), 'hex'), 16))::bit(64)::bigint`.
 * Advisory locks are per database, so two databases on one server never contend.
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

/** How often a waiting migrator logs who holds the lock; also how long one blocking wait lasts. */
const HOLDER_LOG_EVERY_MS = 5_000;
const LOCK_NOT_AVAILABLE = "55P03";
const LOCK_BUSY = Symbol("the migration lock is held by another session");

/** Who holds the migration lock on this database, for the logs; Postgres does not record when
 * an advisory lock was granted, so the holder's session start and current state stand in. */
async function describeLockHolder(sql: Sql | TransactionSql): Promise<string> {
  const holders = await sql<
    {
      pid: number;
      application_name: string | null;
      session_age: string | null;
      state: string | null;
      state_age: string | null;
      query: string | null;
    }[]
  >`
    select l.pid, a.application_name,
      round(extract(epoch from now() - a.backend_start))::text as session_age,
      a.state, round(extract(epoch from now() - a.state_change))::text as state_age,
      left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120) as query
    from pg_locks l
    left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted
      and l.database = (select oid from pg_database where datname = current_database())
      and l.classid = ${MIGRATION_LOCK_PG_LOCKS.classid}
      and l.objid = ${MIGRATION_LOCK_PG_LOCKS.objid}
      and l.objsubid = ${MIGRATION_LOCK_PG_LOCKS.objsubid}`;
  const holder = holders[0];
  if (!holder) return "nobody any more";
  const parts = [`pid ${holder.pid}`, `application_name "${holder.application_name ?? "?"}"`];
  if (holder.session_age !== null) parts.push(`session started ${holder.session_age} s ago`);
  if (holder.state !== null) {
    parts.push(
      `${holder.state} for ${holder.state_age} s${holder.query ? `: ${holder.query}` : ""}`,
    );
  }
  return parts.join(", ");
}

export interface LockedTransaction {
  tx: TransactionSql;
  /** False once the transaction has ended, even if `work` is still running (connection lost). */
  inTransaction: () => boolean;
}

/**
 * Runs `work` in one transaction that holds the migration lock, taken with
 * `pg_advisory_xact_lock`: it ends with the transaction (commit, rollback, or the session's end),
 * so it can neither outlive the work nor stay behind on a pooled server connection, and a
 * transaction pooler keeps the whole transaction on one server connection. Every setting is
 * `SET LOCAL` (`set_config(..., true)`) for the same reason.
 *
 * A waiting migrator blocks in Postgres, which grants the lock the moment the holder's
 * transaction ends; each wait is bounded by `lock_timeout` so that it logs the holder every few
 * seconds and gives up at `MIGRATION_LOCK_WAIT_MS`.
 */
export async function withMigrationLock<T>(
  client: Sql,
  settings: MigratorSettings,
  log: Log,
  work: (locked: LockedTransaction) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let nextHolderLog = 0;
  for (;;) {
    let ended = false;
    let seenInside: unknown;
    try {
      const outcome = await client.begin(async (tx) => {
        const waited = performance.now() - started;
        const waitMs = Math.max(1, Math.min(HOLDER_LOG_EVERY_MS, settings.lockWaitMs - waited));
        const [row] = await tx<{ locked: boolean; pid: number }[]>`
          select pg_try_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint) as locked,
            pg_backend_pid() as pid,
            set_config('lock_timeout', ${String(waitMs)}, true),
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
            nextHolderLog = waited + HOLDER_LOG_EVERY_MS;
          }
          await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(
            (error: unknown) => {
              throw postgresFailureOf(error)?.code === LOCK_NOT_AVAILABLE ? LOCK_BUSY : error;
            },
          );
        }
        const [effective] = await tx<Record<string, string>[]>`
          select set_config('lock_timeout', ${String(settings.lockTimeoutMs)}, true) as lock_timeout,
            current_setting('statement_timeout') as statement_timeout,
            current_setting('idle_in_transaction_session_timeout') as idle`;
        log(
          `[migrate] took the migration lock in ${ms(performance.now() - started)} (backend pid ` +
            `${row?.pid}; lock_timeout ${effective?.lock_timeout}, statement_timeout ` +
            `${effective?.statement_timeout}, idle_in_transaction_session_timeout ${effective?.idle})`,
        );
        try {
          return { value: await work({ tx, inTransaction: () => !ended }) };
        } catch (error) {
          seenInside = error;
          // postgres.js would roll back on a dead connection and crash (porsager/postgres#1208):
          // ended, the client refuses instead.
          if (isConnectionLoss(error)) await client.end({ timeout: 0 });
          throw error;
        }
      });
      if (outcome !== LOCK_BUSY) return outcome.value;
    } catch (error) {
      if (error !== LOCK_BUSY) {
        if (!isConnectionLoss(error)) throw error;
        await client.end({ timeout: 0 });
        throw connectionLost(seenInside ?? error, settings);
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
          `${await describeLockHolder(client)}. Another instance is migrating: if that session is ` +
          "alive, let it finish (raise MIGRATION_LOCK_WAIT_MS for long migrations); if it is " +
          "stuck, end it with `select pg_terminate_backend(<pid>)` and start again.",
      );
    }
  }
}

const CONNECTION_GONE = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ECONNRESET",
  "57P01", // terminated by pg_terminate_backend or a shutdown
  "25P03", // idle_in_transaction_session_timeout
]);

/** The session is gone; drizzle wraps the driver's error, so the causes are looked at too. */
function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (CONNECTION_GONE.has(String((current as { code?: unknown }).code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function connectionLost(error: unknown, settings: MigratorSettings): MigrationError {
  const failure = postgresFailureOf(error);
  const reason = failure
    ? `${failure.message} (SQLSTATE ${failure.code})`
    : error instanceof Error
      ? error.message
      : String(error);
  return new MigrationError(
    "CONNECTION_LOST",
    `The migrator's connection ended in the middle of its migration transaction (${reason}). ` +
      "Postgres rolled the transaction back and released the lock: nothing of this run was " +
      "applied. Either this process stopped answering for longer than " +
      `MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS=${settings.idleInTransactionTimeoutMs} (paused, ` +
      "frozen or overloaded), or the database ended the session (restart, failover, " +
      "pg_terminate_backend). Another instance may have applied the migrations since: run " +
      "`npm run db:status`, then start again.",
    { sqlState: failure?.code, cause: error },
  );
}
