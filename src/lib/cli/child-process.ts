import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import type { TerminationWatch } from "./signals";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningChild {
  child: ChildProcess;
  exited: Promise<ExitStatus>;
}

/** Runs a command sharing this terminal; `exited` rejects, naming the command, if it cannot start. */
export function runInherited(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): RunningChild {
  const child = spawn(command, args, { stdio: "inherit", env });
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    child.once("error", (error) =>
      reject(new Error(`Could not run ${command}: ${error.message}`, { cause: error })),
    );
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/**
 * Passes termination signals on to the child; a second one kills it outright, for a child that
 * hangs while shutting down.
 */
export function forwardSignals(watch: TerminationWatch, child: ChildProcess): void {
  let forwarded = 0;
  watch.onSignal((signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    forwarded += 1;
    child.kill(forwarded > 1 ? "SIGKILL" : signal);
  });
}

/** The shell's convention: the child's code, or 128 + the number of the signal that ended it. */
export function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  const number = status.signal ? os.constants.signals[status.signal] : undefined;
  return 128 + (number ?? 0);
}
