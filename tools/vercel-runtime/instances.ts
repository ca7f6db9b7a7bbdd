import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type AssembledFunction, assembleFunction } from "./assemble";
import { type BuildOutput, readFunctionConfig } from "./build-output";

/**
 * The instances of one function. A request goes to an instance with room for it (one still
 * starting included) or, when none has room, starts a new one (a cold start). Each instance is
 * its own Node process. With `requestsPerInstance` 1 (Vercel's classic model) an instance serves
 * one request at a time, so N requests at once on a cold function start N processes at once;
 * with more (fluid compute) requests share instances.
 */

const INSTANCE_ENTRY = fileURLToPath(new URL("./instance.mjs", import.meta.url));
const READY_WITHIN_MS = 60_000;

export interface InstanceEnvironment {
  /** The project's variables, as set in its Vercel settings. */
  project: Record<string, string>;
  /** VERCEL=1, VERCEL_ENV, VERCEL_REGION, VERCEL_URL: what Vercel adds. */
  system: Record<string, string>;
}

export interface Instance {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** When the process was started, and when its bridge listened (ms, performance.now()). */
  readonly startedAt: number;
  readonly listeningAt: number;
  /** Whether it has served a request yet (its first is the cold start's). */
  served: number;
}

export interface FunctionPool {
  acquire(): Promise<Instance>;
  release(instance: Instance): void;
  instances(): readonly Instance[];
  stop(): Promise<void>;
}

export function functionPool(
  output: BuildOutput,
  functionDir: string,
  environment: InstanceEnvironment,
  write: (line: string) => void,
  requestsPerInstance = 1,
): FunctionPool {
  const config = readFunctionConfig(functionDir);
  const name = path
    .relative(path.join(output.dir, "functions"), functionDir)
    .replace(/\.func$/, "");
  let assembled: Promise<AssembledFunction> | undefined;
  const slots: { ready: Promise<Instance>; pid?: number; active: number; ended: boolean }[] = [];
  const all: Instance[] = [];
  const children: ChildProcess[] = [];

  const coldStart = async (): Promise<Instance> => {
    assembled ??= assembleFunction(functionDir, config, output.projectRoot);
    const { dir } = await assembled;
    const startedAt = performance.now();
    const child = fork(INSTANCE_ENTRY, [dir, config.handler, config.useWebApi ? "web" : "node"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // Vercel runs functions in production mode (the launcher would set it too).
        NODE_ENV: "production",
        ...environment.project,
        ...config.environment,
        ...environment.system,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Not this process's flags: a caller run with `--import tsx` (the bench) would hand the
      // instance a loader its function folder does not have, as Vercel's runtime never would.
      execArgv: [],
    });
    children.push(child);
    // An instance that ended (a crash, an exit at boot) is never handed a request again.
    child.once("exit", () => {
      const slot = slots.find((candidate) => candidate.pid === child.pid);
      if (slot) slot.ended = true;
    });
    const prefix = `[${name} ${child.pid}] `;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        for (const line of chunk.split("\n")) if (line) write(prefix + line);
      });
    }
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${prefix}did not listen within 60 s`)),
        READY_WITHIN_MS,
      );
      child.once("message", (message: { port: number }) => {
        clearTimeout(timer);
        resolve(message.port);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${prefix}exited (${signal ?? code}) before it listened`));
      });
    });
    const instance: Instance = {
      name,
      pid: child.pid ?? -1,
      port,
      startedAt,
      listeningAt: performance.now(),
      served: 0,
    };
    all.push(instance);
    return instance;
  };

  return {
    acquire: async () => {
      let slot = slots.find(
        (candidate) => !candidate.ended && candidate.active < requestsPerInstance,
      );
      if (!slot) {
        const started = { ready: coldStart(), active: 0, ended: false } as (typeof slots)[number];
        started.ready.then(
          (instance) => {
            started.pid = instance.pid;
          },
          () => {
            started.ended = true;
          },
        );
        slots.push(started);
        slot = started;
      }
      slot.active += 1;
      return slot.ready;
    },
    release: (instance) => {
      instance.served += 1;
      const slot = slots.find((candidate) => candidate.pid === instance.pid);
      if (slot) slot.active -= 1;
    },
    instances: () => all,
    stop: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
            }),
        ),
      );
      await (await assembled)?.remove();
    },
  };
}
