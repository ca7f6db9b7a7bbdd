import { type FSWatcher, watch } from "node:fs";
import path from "node:path";

/**
 * How long the folder must stay quiet before a run: drizzle-kit writes the SQL, the snapshot and
 * the journal one after the other, and an editor's save can be several events.
 */
export const SETTLE_MS = 150;

/**
 * `next dev` only: calls `apply` after `drizzle/` (its `.sql` files) or `drizzle/meta/` (the
 * journal) changes, once the writes have settled, never two runs at once (a change during a run
 * schedules one more). A run that finds a half-written folder fails like any other and is retried
 * on the next change.
 */
export function followMigrationsFolder(
  folder: string,
  apply: () => Promise<void>,
  log: (line: string) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await apply();
    } finally {
      running = false;
      if (again) {
        again = false;
        void run();
      }
    }
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(run, SETTLE_MS);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of [folder, path.join(folder, "meta")]) {
    try {
      watchers.push(watch(dir, changed));
    } catch (error) {
      log(`[migrate] cannot watch ${dir} for new migrations: ${(error as Error).message}`);
    }
  }
  log(`[migrate] following ${folder}: new and fixed migrations are applied without a restart`);
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
