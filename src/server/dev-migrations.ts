import { followFolders } from "./follow-folders";

/**
 * How long the folder must stay quiet before a run: drizzle-kit writes the SQL, the snapshot and
 * the journal (0.x) one after the other, and an editor's save can be several events.
 */
export const SETTLE_MS = 150;

/**
 * `next dev` only: calls `apply` after anything in a migrations folder changes, once the writes
 * have settled, one run at a time for all `folders`. The whole tree is followed, so that either
 * drizzle-kit layout is: 0.x's `.sql` files and `meta/_journal.json`, and 1.0's
 * `<name>/migration.sql`, where a new migration is a new directory and a fix is a write inside
 * it. A run that finds a half-written folder fails like any other and is retried on the next
 * change.
 */
export function followMigrationsFolders(
  folders: string[],
  apply: () => Promise<void>,
  log: (line: string) => void,
): () => void {
  const stop = followFolders(
    folders,
    {
      settleMs: SETTLE_MS,
      recursive: true,
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
