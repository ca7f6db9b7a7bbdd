import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
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
 * The package installed in `project`'s node_modules without its peers `missing`: a copy of its
 * source (a symlink would resolve from the workspace, where every peer is), its other peers (from
 * its package.json) linked, so that the missing ones really cannot be resolved from it. Returns
 * the copy's bin, for `runPackageBin`.
 */
export function installPackageWithout(project: string, ...missing: string[]): string {
  const modules = path.join(project, "node_modules");
  const copy = path.join(modules, "drizzle-boot-migrator");
  cpSync(PACKAGE_DIR, copy, {
    recursive: true,
    filter: (from) => !/\/(dist|node_modules)$/.test(from),
  });
  const { peerDependencies } = JSON.parse(
    readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"),
  ) as { peerDependencies: Record<string, string> };
  for (const peer of Object.keys(peerDependencies).filter((name) => !missing.includes(name))) {
    mkdirSync(path.dirname(path.join(modules, peer)), { recursive: true });
    symlinkSync(root(`node_modules/${peer}`), path.join(modules, peer));
  }
  return path.join(copy, "src/bin.ts");
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
