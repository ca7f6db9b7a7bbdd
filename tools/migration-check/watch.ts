import { followFolders } from "@/server/follow-folders";
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
  let lastReport = "";
  const check = async () => {
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
    }
  };
  return followFolders(options.folders, { settleMs: SETTLE_MS, recursive: true }, check);
}
