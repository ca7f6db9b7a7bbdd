import { createHash } from "node:crypto";
import type { Sql } from "postgres";
import { sleep } from "./connection";
import { MigrationError } from "./errors";
import { LEDGER } from "./ledger";

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

const POLL_MS = 250;
const HOLDER_LOG_EVERY_MS = 5_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Who holds the migration lock on this database, for the logs; Postgres does not record when
 * an advisory lock was granted, so the holder's session start and current state stand in. */
export async function describeLockHolder(sql: Sql): Promise<string> {
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

/**
 * Runs `work` holding the session-level migration lock, on `sql`'s one connection (`max: 1`, so
 * the lock and the work share a Postgres session). An unlock failure after `work` failed is only
 * logged: the migration's own error is the one to report.
 */
export async function withMigrationLock<T>(
  sql: Sql,
  waitMs: number,
  log: (line: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await acquireMigrationLock(sql, waitMs, log);
  log(
    `[migrate] took the migration lock in ${Math.round(lock.waitedMs)} ms (backend pid ${lock.pid})`,
  );
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await releaseMigrationLock(sql, lock.pid).catch((unlockError: Error) =>
      log(`[migrate] also: ${unlockError.message.split("\n")[0]}`),
    );
    throw error;
  }
  await releaseMigrationLock(sql, lock.pid);
  return result;
}

/**
 * Takes the session-level migration lock, polling `pg_try_advisory_lock` (a blocking
 * `pg_advisory_lock` could not log who holds it, nor give up at our deadline). Returns how long it
 * waited and the session's pid, which the unlock checks.
 */
async function acquireMigrationLock(
  sql: Sql,
  waitMs: number,
  log: (line: string) => void,
): Promise<{ waitedMs: number; pid: number }> {
  const started = performance.now();
  let nextHolderLog = 0;
  for (;;) {
    const [row] = await sql<{ locked: boolean; pid: number }[]>`
      select pg_try_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint) as locked,
        pg_backend_pid() as pid`;
    const waited = performance.now() - started;
    if (row?.locked) return { waitedMs: waited, pid: row.pid };
    if (waited >= waitMs) {
      throw new MigrationError(
        "LOCK_WAIT_TIMEOUT",
        `Gave up waiting for the migration lock after ${seconds(waited)} ` +
          `(MIGRATION_LOCK_WAIT_MS=${waitMs}); it is held by ${await describeLockHolder(sql)}. ` +
          "Another instance is migrating: if that session is alive, let it finish (raise " +
          "MIGRATION_LOCK_WAIT_MS for long migrations); if it is stuck, end it with " +
          "`select pg_terminate_backend(<pid>)` and start again.",
      );
    }
    if (waited >= nextHolderLog) {
      log(
        `[migrate] waiting for the migration lock (${seconds(waited)} of ${seconds(waitMs)}), ` +
          `held by ${await describeLockHolder(sql)}`,
      );
      nextHolderLog = waited + HOLDER_LOG_EVERY_MS;
    }
    await sleep(Math.min(POLL_MS * (0.5 + Math.random()), Math.max(0, waitMs - waited)));
  }
}

/**
 * Releases the lock. `pg_advisory_unlock` answers false when this session does not hold it, which
 * means the connection was replaced since the lock was taken (postgres.js reconnects silently):
 * the migration then ran without the lock's protection, and the caller must say so.
 */
async function releaseMigrationLock(sql: Sql, lockedByPid: number): Promise<void> {
  const [row] = await sql<{ unlocked: boolean; pid: number }[]>`
    select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint) as unlocked,
      pg_backend_pid() as pid`;
  if (!row?.unlocked) {
    throw new MigrationError(
      "LOCK_LOST",
      `The migration lock was no longer held when releasing it (taken by backend pid ` +
        `${lockedByPid}, released from pid ${row?.pid}): the connection was lost and replaced ` +
        "while migrating, so another instance may have migrated at the same time. Run " +
        "`npm run db:status` to check the ledger against the folder.",
    );
  }
}
