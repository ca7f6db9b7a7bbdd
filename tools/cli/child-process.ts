import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import type { TerminationWatch } from "./signals";

interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a command that shares this terminal (`npm run dev`'s `next dev`, with-database's command,
 * the e2e server) until it ends, passing termination signals on, and returns the exit code this
 * program should end with. A signal that arrived before the start means the command never runs.
 * Rejects, naming the command, if it cannot start.
 */
export async function runSharingTerminal(
  watch: TerminationWatch,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (watch.received) return exitCodeOf({ code: null, signal: watch.received });
  const child = spawn(command, args, { stdio: "inherit", env });
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    child.once("error", (error) =>
      reject(new Error(`Could not run ${command}: ${error.message}`, { cause: error })),
    );
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  forwardSignals(watch, child);
  return exitCodeOf(await exited);
}

/**
 * Passes termination signals on to the child; a second one kills it outright, for a child that
 * hangs while shutting down.
 */
function forwardSignals(watch: TerminationWatch, child: ChildProcess): void {
  let forwarded = 0;
  watch.onSignal((signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    forwarded += 1;
    child.kill(forwarded > 1 ? "SIGKILL" : signal);
  });
}

/** The shell's convention: the child's code, or 128 + the number of the signal that ended it. */
function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  const number = status.signal ? os.constants.signals[status.signal] : undefined;
  return 128 + (number ?? 0);
}
