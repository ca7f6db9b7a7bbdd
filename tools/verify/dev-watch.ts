import { setTimeout as sleep } from "node:timers/promises";
import { devResetHint } from "@tools/database-source/dev-database";
import type { MigrationSet, MigratorSettings } from "drizzle-boot-migrator";
import { formatVerifyReport } from "drizzle-boot-migrator/verify";
import { followFolders } from "@/server/follow-folders";
import { BASELINE_COMMAND, verifyApp, verifyResetCodes } from "./run";

/**
 * Long enough for the dev server's boot migrator to apply a changed folder first: the check then
 * sees the database as the folder left it, not halfway.
 */
const SETTLE_MS = 2_000;

export interface DatabaseDriftWatchOptions {
  settings: MigratorSettings;
  sets: MigrationSet[];
  /** The dev server's superuser URL, where the scratch database goes; else an embedded one. */
  scratchUrl?: string;
  log: (line: string) => void;
}

/**
 * `npm run dev`: db:verify on the dev database at start and after each change of a migrations
 * folder (a branch switch), in this process. Says on the terminal when the database differs from
 * what its applied migrations build, with the `db:reset` advice, and again once it matches.
 */
export function watchDatabaseDrift(options: DatabaseDriftWatchOptions): () => void {
  let lastReport = "";
  const verify = () =>
    verifyApp({
      settings: options.settings,
      sets: options.sets,
      scratchUrl: options.scratchUrl,
      scratchDescription: "the dev database's server",
    });
  const check = async () => {
    let report: string;
    try {
      let verified = await verify();
      // The dev server's migrator applied something meanwhile: check the database it left.
      for (let attempt = 1; attempt < 3 && verified.ledgerChanged; attempt++) {
        await sleep(SETTLE_MS);
        verified = await verify();
      }
      const hint = devResetHint(verifyResetCodes(verified));
      report =
        verified.verdict === "match"
          ? ""
          : [
              "the dev database is not what its applied migrations build:",
              ...formatVerifyReport(verified, "the dev database", BASELINE_COMMAND).slice(1),
              ...(hint ? [hint] : []),
            ].join("\n");
    } catch (error) {
      report = `db:verify could not check the dev database: ${(error as Error).message}`;
    }
    if (report !== lastReport) {
      const said = report || "the dev database matches its applied migrations again";
      options.log(
        said
          .split("\n")
          .map((line) => `[verify] ${line}`)
          .join("\n"),
      );
    }
    lastReport = report;
  };
  void check();
  return followFolders(
    options.sets.map((set) => set.migrationsFolder),
    { settleMs: SETTLE_MS, recursive: true },
    check,
  );
}
