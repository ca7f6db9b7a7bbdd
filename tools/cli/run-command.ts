import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface CommandResult {
  /** The exit code; null when a signal ended the command. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a person running the command would see them. */
  output: string;
}

export interface StartedCommand {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything printed so far, interleaved. */
  output(): string;
  /** Settles once the command has ended and its output is complete; rejects if it cannot start. */
  exited: Promise<CommandResult>;
  /**
   * SIGTERM (or the command's `stopSignal`), then SIGKILL after 5 s for a process that hangs
   * while shutting down. A command in
   * its own process group (`npm start`: npm, a shell, then node) is signalled as a group: npm does
   * not pass SIGTERM on to the server it started.
   */
  stop(): Promise<void>;
}

export interface CommandRun extends CommandResult {
  timedOut: boolean;
}

/**
 * Starts a command with stdin closed (a program that would ask a question fails instead of
 * waiting) and collects its output. The one place that spawns a captured child: `runCommand`
 * below and the test harness (`test/support/processes.ts`) build on it.
 */
export function startCommand(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    runAs?: { uid: number; gid: number };
    /** Its own process group, so that a signal to the group also reaches what it starts. */
    ownProcessGroup?: boolean;
    /** What `stop()` sends first, for a program whose SIGTERM waits for its clients to leave. */
    stopSignal?: NodeJS.Signals;
  },
): StartedCommand {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    uid: options.runAs?.uid,
    gid: options.runAs?.gid,
    detached: options.ownProcessGroup ?? false,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    output += chunk;
  });
  const exited = new Promise<CommandResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr, output }));
  });
  const ownProcessGroup = options.ownProcessGroup ?? false;
  return {
    child,
    output: () => output,
    exited,
    stop: () => stopCommand(child, exited, ownProcessGroup, options.stopSignal ?? "SIGTERM"),
  };
}

async function stopCommand(
  child: StartedCommand["child"],
  exited: Promise<unknown>,
  ownProcessGroup: boolean,
  stopSignal: NodeJS.Signals,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    if (!ownProcessGroup || child.pid === undefined) return void child.kill(name);
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group has already ended.
    }
  };
  signal(stopSignal);
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion (see `startCommand`). After `timeoutMs` it is sent SIGTERM. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<CommandRun> {
  const { child, exited } = startCommand(command, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
  }, options.timeoutMs ?? 120_000);
  try {
    return { ...(await exited), timedOut };
  } finally {
    clearTimeout(timer);
  }
}
