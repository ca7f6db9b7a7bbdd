import { performance } from "node:perf_hooks";
import { repeatOnConnection, type TimedInsert } from "./write-load";

/**
 * Watches `pg_stat_progress_create_index` for builds on one table, so a test or the bench can say
 * when an index build was in progress (plain or CONCURRENTLY, Postgres reports both) and what
 * the writers did meanwhile.
 */

export interface ProgressSample {
  /** `performance.now()` when the row was read. */
  at: number;
  pid: number;
  /** `CREATE INDEX`, `CREATE INDEX CONCURRENTLY`, ... */
  command: string;
  /** e.g. `building index: scanning table`, `waiting for old snapshots`. */
  phase: string;
}

export interface IndexBuildWatch {
  /** Samples so far (only moments when a build was running). */
  readonly samples: readonly ProgressSample[];
  stop(): Promise<ProgressSample[]>;
}

export function watchIndexBuilds(url: string, table: string, everyMs = 20): IndexBuildWatch {
  const samples: ProgressSample[] = [];
  const loop = repeatOnConnection(url, "load:progress", async (sql) => {
    const rows = await sql<Omit<ProgressSample, "at">[]>`
      select pid, command, phase from pg_stat_progress_create_index
      where datname = current_database() and relid = to_regclass(${table})`;
    const at = performance.now();
    for (const row of rows) samples.push({ at, ...row });
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  });
  return {
    samples,
    async stop() {
      await loop.stop();
      return samples;
    },
  };
}

/** From the first to the last sample that saw a build; undefined if none was seen. */
export function buildWindow(
  samples: readonly ProgressSample[],
): { start: number; end: number } | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  return first && last ? { start: first.at, end: last.at } : undefined;
}

/** Inserts that both started and completed inside the window: they did not wait for the build. */
export function insertsWithin(
  inserts: readonly TimedInsert[],
  window: { start: number; end: number },
): TimedInsert[] {
  return inserts.filter(
    (insert) => insert.startedAt >= window.start && insert.endedAt <= window.end,
  );
}
