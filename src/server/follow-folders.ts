import { type FSWatcher, watch } from "node:fs";

export interface FollowFoldersOptions {
  /** How long the folders must stay quiet before a run: saves and generators write in bursts. */
  settleMs: number;
  /** Also changes in subfolders. */
  recursive?: boolean;
  /** Told about a folder that cannot be watched (the others still are). */
  onUnwatchable?: (folder: string, error: Error) => void;
}

/**
 * Development only: calls `run` once the folders have been quiet for `settleMs` after a change,
 * never two runs at once (a change during a run schedules one more after it). Returns `stop`.
 */
export function followFolders(
  folders: string[],
  options: FollowFoldersOptions,
  run: () => Promise<void>,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;

  const runSerially = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await run();
    } finally {
      running = false;
      if (again) {
        again = false;
        void runSerially();
      }
    }
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(runSerially, options.settleMs);
  };

  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      watchers.push(watch(folder, { recursive: options.recursive ?? false }, changed));
    } catch (error) {
      options.onUnwatchable?.(folder, error as Error);
    }
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
