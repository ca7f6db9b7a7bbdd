/**
 * `npm run test:compat [-- --ref <git ref>] [--migrations-folder <dir>]`: the previous release's
 * own Playwright smoke tests, against its own server, on a database migrated with the current
 * migrations (docs/migrations.md, "Expand and contract"). The default release is the last commit
 * before the newest migration. Exit codes: 0 passed, 1 failed, 2 could not run. With no Chromium
 * on the machine it is skipped (0), except under CI (1).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultPreviousRelease, releaseAt } from "@tools/compat/previous-release";
import { runCompat } from "@tools/compat/run";
import { skipWithout } from "@tools/system-tools";
import { type CompatTimings, TIMINGS_FILES, writeTimings } from "@tools/test-timings";
import { MIGRATIONS } from "../src/lib/db/migrations-config";

const say = (line: string) => console.error(`[test:compat] ${line}`);
const started = Date.now();

type Outcome = CompatTimings["outcome"];

async function main(): Promise<{ code: number; outcome: Outcome }> {
  const skipped = skipWithout(
    "chromium",
    "npm run test:compat (the previous release's Playwright smoke tests)",
    process.env,
  );
  if (skipped !== undefined) return { code: skipped, outcome: "skipped" };
  const { values } = parseArgs({
    options: {
      ref: { type: "string" },
      "migrations-folder": { type: "string", default: MIGRATIONS.out },
    },
  });
  const repo = process.cwd();
  const migrationsFolder = path.resolve(repo, values["migrations-folder"]);
  const release = values.ref
    ? await releaseAt(repo, values.ref)
    : await defaultPreviousRelease(repo, migrationsFolder);
  const result = await runCompat({ repo, release, migrationsFolder, say });
  (result.passed ? console.log : console.error)(result.report);
  return result.passed ? { code: 0, outcome: "passed" } : { code: 1, outcome: "failed" };
}

/**
 * Says how long it took. The run `npm test` makes (no arguments) is also left for `npm run
 * test:timings`; one on a fixture or another release would stand in for it there.
 */
function finish(code: number, outcome: Outcome): never {
  const ms = Date.now() - started;
  say(`took ${(ms / 1000).toFixed(1)} s`);
  if (process.argv.length === 2) {
    const record: CompatTimings = { finishedAt: new Date().toISOString(), ms, outcome };
    writeTimings(process.cwd(), TIMINGS_FILES.compat, record);
  }
  process.exit(code);
}

main().then(
  ({ code, outcome }) => finish(code, outcome),
  (error: unknown) => {
    say(`could not run: ${error instanceof Error ? error.message : String(error)}`);
    finish(2, "could not run");
  },
);
