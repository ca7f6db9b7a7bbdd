import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX_LOADER = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface ScriptRun {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first match of `pattern` in stdout + stderr, rejects if the run ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  finished: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Runs `scripts/<name>` as `npm run` would (tsx, one process, so signals reach the script itself)
 * with exactly `env` (plus PATH and NODE_ENV=test unless given), from `cwd`.
 */
export function runScript(
  name: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): ScriptRun {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "test",
    PATH: process.env.PATH,
    TSX_TSCONFIG_PATH: `${REPO_ROOT}tsconfig.json`,
  };
  Object.assign(env, options.env);
  const script = `${REPO_ROOT}scripts/${name}`;
  const child = spawn(process.execPath, ["--import", TSX_LOADER, script, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
  });
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    changed();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    changed();
  });
  let ended = false;
  const finished = new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => {
        ended = true;
        changed();
        resolve({ code, stdout, stderr });
      });
    },
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout + stderr);
        if (match || ended) waiters.delete(check);
        if (match) resolve(match);
        else if (ended) reject(new Error(`ended without printing ${pattern}:\n${stdout}${stderr}`));
      };
      waiters.add(check);
      check();
    });
  return { child, waitFor, finished };
}
