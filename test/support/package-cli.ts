import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { type FixtureMigration, migratorChildEnv, writeMigrationFolder } from "./migrator";
import { type ProcessResult, startProcess } from "./processes";

/**
 * The package's own command (`drizzle-boot-migrator`: its src/bin.ts run by tsx, as the app's
 * scripts are) in a project folder of its own, outside the app: what a project that installed the
 * package runs.
 */

const root = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
export const PACKAGE_DIR = root("packages/drizzle-boot-migrator");
export const PACKAGE_BIN = path.join(PACKAGE_DIR, "src/bin.ts");
const TSX_LOADER = root("node_modules/tsx/dist/loader.mjs");

/** `drizzle-boot-migrator <args>` in `cwd` with MIGRATIONS_DATABASE_URL=`url`. */
export function runPackageBin(
  cwd: string,
  url: string,
  args: string[],
  binPath = PACKAGE_BIN,
): Promise<ProcessResult> {
  return startProcess(process.execPath, ["--import", TSX_LOADER, binPath, ...args], {
    cwd,
    env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: url }),
  }).exited;
}

/**
 * Project folders for the tests of a file, removed after them: each with a package.json, `files`
 * (name → content) and, given a `folder`, `migrations` written to it.
 */
export function projectsPerFile(): {
  create(files: Record<string, string>, migrations?: FixtureMigration[], folder?: string): string;
} {
  const projects: string[] = [];
  afterAll(() => {
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });
  return {
    create(files, migrations, folder) {
      const dir = mkdtempSync(path.join(tmpdir(), "migrator-project-"));
      projects.push(dir);
      writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
      for (const [name, content] of Object.entries(files)) {
        writeFileSync(path.join(dir, name), content);
      }
      if (folder) writeMigrationFolder(migrations ?? [], path.join(dir, folder));
      return dir;
    },
  };
}
