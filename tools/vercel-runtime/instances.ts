import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type AssembledFunction, assembleFunction } from "./assemble";
import { type BuildOutput, readFunctionConfig } from "./build-output";

/**
 * The instances of one function. A request takes an idle instance or, when none is idle, starts a
 * new one (a cold start): each instance is its own Node process serving one request at a time,
 * so N requests at once on a cold function start N processes at once.
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
): FunctionPool {
  const config = readFunctionConfig(functionDir);
  const name = path
    .relative(path.join(output.dir, "functions"), functionDir)
    .replace(/\.func$/, "");
  let assembled: Promise<AssembledFunction> | undefined;
  const idle: Instance[] = [];
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
    });
    children.push(child);
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
    // An instance that ended (a crash, an exit at boot) is never handed a request again.
    child.once("exit", () => {
      const index = idle.indexOf(instance);
      if (index >= 0) idle.splice(index, 1);
    });
    return instance;
  };

  return {
    acquire: async () => idle.pop() ?? coldStart(),
    release: (instance) => {
      instance.served += 1;
      idle.push(instance);
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
