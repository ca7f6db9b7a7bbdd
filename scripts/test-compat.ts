/**
 * `npm run test:compat [-- --ref <git ref>] [--migrations-folder <dir>]`: the previous release's
 * own Playwright smoke tests, against its own server, on a database migrated with the current
 * migrations (docs/migrations.md, "Expand and contract"). The default release is the last commit
 * before the newest migration. Exit codes: 0 passed, 1 failed, 2 could not run.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultPreviousRelease, releaseAt } from "@tools/compat/previous-release";
import { runCompat } from "@tools/compat/run";
import { MIGRATIONS } from "../src/lib/db/migrations-config";

const say = (line: string) => console.error(`[test:compat] ${line}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ref: { type: "string" },
      "migrations-folder": { type: "string", default: MIGRATIONS.out },
    },
  });
  const repo = process.cwd();
  const migrationsFolder = path.resolve(repo, values["migrations-folder"]);
  const started = Date.now();
  const release = values.ref
    ? await releaseAt(repo, values.ref)
    : await defaultPreviousRelease(repo, migrationsFolder);
  const result = await runCompat({ repo, release, migrationsFolder, say });
  (result.passed ? console.log : console.error)(result.report);
  say(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
