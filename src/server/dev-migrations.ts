import path from "node:path";
import { followFolders } from "./follow-folders";

/**
 * How long the folder must stay quiet before a run: drizzle-kit writes the SQL, the snapshot and
 * the journal one after the other, and an editor's save can be several events.
 */
export const SETTLE_MS = 150;

/**
 * `next dev` only: calls `apply` after a migrations folder (its `.sql` files) or its `meta/` (the
 * journal) changes, once the writes have settled, one run at a time for all `folders`. A run that
 * finds a half-written folder fails like any other and is retried on the next change.
 */
export function followMigrationsFolders(
  folders: string[],
  apply: () => Promise<void>,
  log: (line: string) => void,
): () => void {
  const stop = followFolders(
    folders.flatMap((folder) => [folder, path.join(folder, "meta")]),
    {
      settleMs: SETTLE_MS,
      onUnwatchable: (dir, error) =>
        log(`[migrate] cannot watch ${dir} for new migrations: ${error.message}`),
    },
    apply,
  );
  log(
    `[migrate] following ${folders.join(", ")}: new and fixed migrations are applied without a ` +
      "restart",
  );
  return stop;
}
