import { performance } from "node:perf_hooks";
import type { Sql } from "postgres";
import { createDbConnection } from "@/lib/db/client";

/**
 * Write load for tests and the bench: a table of realistic size and a writer inserting into it
 * one row at a time, timing each insert, while something else (an index build) runs. Times are
 * `performance.now()` of this process, so they line up with `watchIndexBuilds`.
 */

export const LOAD_TABLE = "load_events";

/** `load_events` with `rows` rows (ids 1..rows), built in one statement on its own connection. */
export async function createLoadTable(url: string, rows: number): Promise<void> {
  const connection = createDbConnection({ url, max: 1, applicationName: "load:fill" });
  try {
    await connection.client.unsafe(`
      create table ${LOAD_TABLE} (
        id bigserial primary key,
        tenant_id int not null,
        payload text not null,
        created_at timestamptz not null default now()
      )`);
    await connection.client.unsafe(
      `insert into ${LOAD_TABLE} (tenant_id, payload)
       select g % 1000, md5(g::text) from generate_series(1, ${Math.trunc(rows)}) g`,
    );
  } finally {
    await connection.close();
  }
}

export interface TimedInsert {
  startedAt: number;
  endedAt: number;
}

export interface WriterResult {
  inserts: TimedInsert[];
  /** Inserts Postgres refused or that never answered: each one a lost write. */
  failures: { startedAt: number; message: string }[];
}

export interface Writer {
  /** Inserts completed so far. */
  readonly completed: number;
  /** Lets the insert in flight finish, then stops and closes the connection. */
  stop(): Promise<WriterResult>;
}

/**
 * Runs `step` on a connection of its own, again and again, until `stop()`; `stop()` lets the
 * step in flight finish, then closes the connection.
 */
export function repeatOnConnection(
  url: string,
  applicationName: string,
  step: (sql: Sql) => Promise<void>,
): { stop(): Promise<void> } {
  const connection = createDbConnection({ url, max: 1, applicationName });
  let stopping = false;
  const loop = (async () => {
    while (!stopping) await step(connection.client);
  })();
  return {
    async stop() {
      stopping = true;
      try {
        await loop;
      } finally {
        await connection.close();
      }
    },
  };
}

/** One connection inserting single rows into `load_events` back to back until stopped. */
export function startWriter(url: string): Writer {
  const inserts: TimedInsert[] = [];
  const failures: WriterResult["failures"] = [];
  let n = 0;
  const loop = repeatOnConnection(url, "load:writer", async (sql) => {
    n++;
    const startedAt = performance.now();
    try {
      await sql`
        insert into ${sql(LOAD_TABLE)} (tenant_id, payload) values (${n % 1000}, ${`writer-${n}`})`;
      inserts.push({ startedAt, endedAt: performance.now() });
    } catch (error) {
      failures.push({ startedAt, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return {
    get completed() {
      return inserts.length;
    },
    async stop() {
      await loop.stop();
      return { inserts, failures };
    },
  };
}

/** Rows of `load_events` now. */
export async function countLoadRows(url: string): Promise<number> {
  const connection = createDbConnection({ url, max: 1, applicationName: "load:count" });
  try {
    const [row] = await connection.client<{ rows: string }[]>`
      select count(*)::text as rows from ${connection.client(LOAD_TABLE)}`;
    return Number(row?.rows);
  } finally {
    await connection.close();
  }
}
