import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CommandResult, type StartedCommand, startCommand } from "@tools/cli/run-command";

/**
 * Child processes for tests and e2e: a command (or one of the project's TypeScript scripts)
 * started with its output collected, which a test can wait on, stop, or await to the end.
 * Spawning and collecting is `startCommand`'s, shared with the app's own CLIs; what is added here
 * is only what a test needs. `tools/cli/child-process.ts` stays apart: it shares the terminal
 * (stdio inherited, nothing captured) and passes signals on, for CLIs that wrap another program.
 */

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX_LOADER = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export type ProcessResult = CommandResult;

export interface RunningProcess extends StartedCommand {
  /**
   * Resolves with the first match of `pattern` in the output so far; rejects if the process ends
   * first or nothing matches within `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; ownProcessGroup?: boolean } = {},
): RunningProcess {
  const started = startCommand(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    ownProcessGroup: options.ownProcessGroup,
  });
  return {
    ...started,
    waitForOutput: (pattern, timeoutMs = 30_000) => waitForOutput(started, pattern, timeoutMs),
  };
}

/**
 * Runs a TypeScript file (`scripts/db-migrate.ts`, relative to the repository, or a fixture's
 * absolute path) as `npm run` does,
 * with tsx, but as one process (the `tsx` CLI adds a parent), so signals reach the script itself.
 * The repository's tsconfig applies from any `cwd`.
 */
export function startScript(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; imports?: string[] } = {},
): RunningProcess {
  const scriptPath = path.resolve(REPO_ROOT, script);
  // `imports`: more `--import` modules after tsx's (the drizzle 1.0 resolution hooks).
  const imports = [TSX_LOADER, ...(options.imports ?? [])].flatMap((url) => ["--import", url]);
  return startProcess(process.execPath, [...imports, scriptPath, ...args], {
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), TSX_TSCONFIG_PATH: `${REPO_ROOT}tsconfig.json` },
  });
}

function waitForOutput(
  started: StartedCommand,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const { child } = started;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.off("data", check);
      child.stderr.off("data", check);
      outcome();
    };
    // Runs after startCommand's own listener (registered first), so the chunk is already in.
    function check() {
      const match = pattern.exec(started.output());
      if (match) settle(() => resolve(match));
    }
    const timer = setTimeout(() => {
      settle(() =>
        reject(
          new Error(`nothing matching ${pattern} within ${timeoutMs} ms:\n${started.output()}`),
        ),
      );
    }, timeoutMs);
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    started.exited.then(
      () => {
        check();
        settle(() =>
          reject(new Error(`the process ended before printing ${pattern}:\n${started.output()}`)),
        );
      },
      (error: unknown) => settle(() => reject(error)),
    );
    check();
  });
}
