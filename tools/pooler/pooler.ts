import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type StartedCommand, startCommand } from "../cli/run-command";
import { findFreePort } from "../database-source/free-port";
import { postgresRunAs } from "../database-source/postgres-user";
import { locateSystemTool, SYSTEM_TOOLS, toolSearchPath } from "../system-tools";

/**
 * What the pooler harnesses (./pgbouncer.ts, ./pgpool.ts) share: the distribution's program in
 * front of a test Postgres, on a free port, run as the postgres user (both refuse to run as root)
 * from a temporary directory that user owns, ready once its log says it listens. Clients use
 * plain URLs: no pooler marker and no well-known pooler port.
 */

export type PoolerTool = "pgbouncer" | "pgpool";

export interface RunningPooler {
  port: number;
  /** The pooler's main process, which leads the process group of everything it forks. */
  pid: number;
  /** `directUrl` (a URL of the upstream server) with its host and port swapped for the pooler's. */
  urlFor(directUrl: string): string;
  /** The pooler's log so far (both log to stderr in the foreground). */
  log(): string;
  /** Ends the pooler and every process it forked, and removes its directory. */
  stop(): Promise<void>;
}

export class PoolerError extends Error {
  override name = "PoolerError";
}

const START_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export function poolerBinary(tool: PoolerTool): string {
  const found = locateSystemTool(tool, process.env);
  if (!found) {
    const { label, install } = SYSTEM_TOOLS[tool];
    throw new PoolerError(
      `${label} is not installed (looked in ${toolSearchPath(process.env).join(", ")}). ` +
        `Install it: ${install} (.ci/run does).`,
    );
  }
  return found.path;
}

export interface PoolerLaunch {
  tool: PoolerTool;
  /** Writes the pooler's files into `dir` for `port`; returns the program's arguments. */
  configure(dir: string, port: number): Promise<string[]>;
  /** The log line that says the pooler accepts connections on `port`. */
  listening(port: number): RegExp;
  /** The signal that ends the pooler at once, without waiting for its clients to leave. */
  stopSignal: NodeJS.Signals;
}

/**
 * Starts the pooler on a free port, retrying another port when the chosen one was taken in the
 * meantime. The pooler runs in a process group of its own, so that `stop()` also reaches a child
 * its main process left behind; the temporary directory goes with `stop()`.
 */
export async function startPooler(launch: PoolerLaunch): Promise<RunningPooler> {
  const { label } = SYSTEM_TOOLS[launch.tool];
  const binary = poolerBinary(launch.tool);
  const runAs = await postgresRunAs();
  const dir = await mkdtemp(path.join(os.tmpdir(), `agency-reporting-${launch.tool}-`));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const args = await launch.configure(dir, port);
      if (runAs) {
        for (const name of ["", ...(await readdir(dir))]) {
          await chown(path.join(dir, name), runAs.uid, runAs.gid);
        }
      }
      const started = startCommand(binary, args, {
        cwd: dir,
        runAs,
        ownProcessGroup: true,
        stopSignal: launch.stopSignal,
      });
      const urlFor = (directUrl: string) => {
        const url = new URL(directUrl);
        url.hostname = "127.0.0.1";
        url.port = String(port);
        return url.toString();
      };
      const stop = async () => {
        await started.stop().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      };
      const outcome = await readyOrEnded(started, launch.listening(port));
      if (outcome === "ready") {
        return { port, pid: started.child.pid ?? 0, urlFor, log: started.output, stop };
      }
      const portTaken = /Address already in use/.test(started.output());
      if (!portTaken || attempt >= PORT_ATTEMPTS) {
        throw new PoolerError(`${label} did not start (${outcome}):\n${started.output()}`);
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Resolves "ready" once the log has the `listening` line, or why it did not come. */
function readyOrEnded(started: StartedCommand, listening: RegExp): Promise<"ready" | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void started.stop();
      resolve(`no "listening" line within ${START_TIMEOUT_MS} ms`);
    }, START_TIMEOUT_MS);
    const check = () => {
      if (listening.test(started.output())) {
        clearTimeout(timer);
        resolve("ready");
      }
    };
    started.child.stdout.on("data", check);
    started.child.stderr.on("data", check);
    started.exited.then(
      (result) => {
        clearTimeout(timer);
        resolve(`exited with ${result.signal ?? result.code}`);
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(`could not be started: ${String(error)}`);
      },
    );
  });
}
