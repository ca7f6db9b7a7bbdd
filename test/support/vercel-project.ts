import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT, startProcess } from "./processes";

/**
 * The project as Vercel receives it from git: every file git tracks (as in the working tree, so
 * uncommitted changes are tested too) in a temporary folder, with node_modules hard-linked (what
 * `npm ci` would have installed; Turbopack refuses a symlink). Nothing git ignores comes along:
 * no `.env*`, no `.next`, no `.vercel`.
 */
export interface VercelProject {
  dir: string;
  remove(): Promise<void>;
}

export async function copyProjectForVercel(): Promise<VercelProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vercel-project-"));
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
    },
  )
    .split("\0")
    .filter((file) => file && existsSync(path.join(REPO_ROOT, file)));
  for (const file of files) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await cp(path.join(REPO_ROOT, file), path.join(dir, file));
  }
  const link = startProcess("cp", [
    "-al",
    path.join(REPO_ROOT, "node_modules"),
    path.join(dir, "node_modules"),
  ]);
  const linked = await link.exited;
  if (linked.code !== 0) throw new Error(`linking node_modules failed:\n${linked.output}`);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
