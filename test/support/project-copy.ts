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
import { type ProcessResult, REPO_ROOT, startScript } from "./processes";

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
  /** Runs one of the repository's scripts (e.g. `scripts/db-check.ts`) in the copy. */
  run(script: string, args?: string[]): Promise<ProcessResult>;
  remove(): void;
}

export function copyProject(): ProjectCopy {
  const dir = mkdtempSync(path.join(tmpdir(), "project-copy-"));
  const drizzleDir = path.join(dir, "drizzle");
  const schemaDir = path.join(dir, "schema");
  cpSync(path.join(REPO_ROOT, "drizzle"), drizzleDir, { recursive: true });
  cpSync(path.join(REPO_ROOT, "src/lib/db/schema"), schemaDir, { recursive: true });
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
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
      return startScript(script, args, { cwd: dir }).exited;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
