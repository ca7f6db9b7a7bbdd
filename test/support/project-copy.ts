import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CommandRun, runCommand } from "@/lib/run-command";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A throwaway project laid out like this one (drizzle.config.ts, schema/, drizzle/, node_modules
 * linked to the real one), so tests can break its schema or migrations and run the real scripts
 * on it without touching the repository.
 */
export interface ProjectCopy {
  dir: string;
  /** Its migrations folder, a copy of the committed drizzle/. */
  drizzleDir: string;
  /** Rewrites one file of its copy of src/lib/db/schema. */
  editSchema(file: string, edit: (source: string) => string): void;
  /** Every file under drizzle/ with its content, to show that a run changed nothing. */
  snapshotDrizzle(): Record<string, string>;
  run(script: string, args?: string[]): Promise<CommandRun>;
  remove(): void;
}

export function copyProject(): ProjectCopy {
  const dir = mkdtempSync(path.join(tmpdir(), "project-copy-"));
  const drizzleDir = path.join(dir, "drizzle");
  const schemaDir = path.join(dir, "schema");
  cpSync(path.join(repoRoot, "drizzle"), drizzleDir, { recursive: true });
  cpSync(path.join(repoRoot, "src/lib/db/schema"), schemaDir, { recursive: true });
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  writeFileSync(
    path.join(dir, "drizzle.config.ts"),
    'export default { dialect: "postgresql", schema: "./schema/index.ts", out: "./drizzle" };\n',
  );

  return {
    dir,
    drizzleDir,
    editSchema(file, edit) {
      const target = path.join(schemaDir, file);
      writeFileSync(target, edit(readFileSync(target, "utf8")));
    },
    snapshotDrizzle() {
      const files = readdirSync(drizzleDir, { recursive: true, encoding: "utf8" }).filter((file) =>
        statSync(path.join(drizzleDir, file)).isFile(),
      );
      return Object.fromEntries(
        files.map((file) => [file, readFileSync(path.join(drizzleDir, file), "utf8")]),
      );
    },
    run(script, args = []) {
      return runTsx(path.join(repoRoot, script), args, dir);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a TypeScript CLI the way `npm run` does (with tsx), in `cwd`. */
export function runTsx(scriptPath: string, args: string[], cwd: string): Promise<CommandRun> {
  return runCommand(path.join(repoRoot, "node_modules/.bin/tsx"), [scriptPath, ...args], { cwd });
}
