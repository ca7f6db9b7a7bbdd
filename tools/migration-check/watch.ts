import { type FSWatcher, watch } from "node:fs";
import { checkMigrations, type MigrationCheckOptions } from "./check";

/** Saves come in bursts (editor, formatter); the check spawns drizzle-kit, so wait for quiet. */
const SETTLE_MS = 500;

export interface SchemaDriftWatchOptions extends MigrationCheckOptions {
  /** Folders whose changes can create or resolve drift: the schema and the migrations. */
  folders: string[];
  log: (line: string) => void;
}

/**
 * `npm run dev`: runs the drift check of `npm run db:check` whenever the schema or the migrations
 * change, in this process (never on a request of the dev server), and says on the terminal when
 * the schema has changes no migration captures, and again once a migration captures them. Other
 * problems (journal, snapshots) are printed the same way; the migrator reports what it refuses.
 */
export function watchSchemaDrift(options: SchemaDriftWatchOptions): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let lastReport = "";

  const check = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const problems = await checkMigrations(options);
      const report = problems
        .flatMap((problem) => [...problem.problem.split("\n"), problem.fix])
        .map((line) => `[dev] ${line}`)
        .join("\n");
      if (report !== lastReport) {
        options.log(report || "[dev] every schema change is captured by a migration");
      }
      lastReport = report;
    } catch (error) {
      options.log(`[dev] the drift check failed: ${(error as Error).message}`);
    } finally {
      running = false;
      if (again) {
        again = false;
        void check();
      }
    }
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(check, SETTLE_MS);
  };

  const watchers: FSWatcher[] = options.folders.map((folder) =>
    watch(folder, { recursive: true }, changed),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
