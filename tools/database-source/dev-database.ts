import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, readEnv } from "@/env";
import { startDatabaseServer } from ".";
import { databaseUrl, ensureDatabase } from "./databases";
import { devDataDir } from "./dev-data-dir";
import { PERSISTENT_CLUSTER_PASSWORD } from "./embedded";
import { POSTGRES_USER, postgresRunAs } from "./postgres-user";
import { inspectProcess, parsePostmasterPid } from "./stale-postmaster";

/**
 * The dev database could not be opened (port taken, Postgres missing...): the commands report it
 * as a setup problem with its own code, `failed (DEV_DATABASE): <what to do>`, and exit 2.
 */
export class DevDatabaseError extends ConfigError {
  override name = "DevDatabaseError";
  readonly code = "DEV_DATABASE";
}

/** The database `npm run dev` creates in its embedded Postgres and runs the app on. */
export const DEV_APP_DATABASE = "agency_reporting";

export interface DevDatabase {
  /** The app database's URL. */
  url: string;
  /** A superuser URL to the same server's `postgres` database (to drop and create the app's). */
  adminUrl: string;
  /** Stops the server if this call started it; nothing when `npm run dev` runs it. */
  stop(): Promise<void>;
}

/**
 * The dev database for a command run without a database URL (`db:migrate`, `db:status`,
 * `db:reset`, `admin:create`): the embedded Postgres of a running `npm run dev` (found through
 * its `postmaster.pid`), or the same data directory started for the command and stopped after it.
 */
export async function openDevDatabase(log: (message: string) => void): Promise<DevDatabase> {
  const dataDir = await devDataDir(readEnv().DEV_DATABASE_DIR, await postgresRunAs(), () => {});
  const port = await runningPort(dataDir);
  if (port !== undefined) {
    const adminUrl = `postgres://${POSTGRES_USER}:${PERSISTENT_CLUSTER_PASSWORD}@127.0.0.1:${port}/postgres`;
    log(`using the dev database of the running \`npm run dev\` (${dataDir}, port ${port})`);
    return withAppDatabase(adminUrl, async () => {});
  }
  const server = await startDatabaseServer({ purpose: "dev", log });
  log(`started the dev database in ${server.dataDir} for this command`);
  try {
    return await withAppDatabase(server.adminUrl, () => server.stop());
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function withAppDatabase(adminUrl: string, stop: () => Promise<void>): Promise<DevDatabase> {
  await ensureDatabase(adminUrl, DEV_APP_DATABASE);
  return { url: databaseUrl(adminUrl, DEV_APP_DATABASE), adminUrl, stop };
}

/** The port of the Postgres running on `dataDir` (line 4 of postmaster.pid), if one is. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const content = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => "");
  const recorded = parsePostmasterPid(content);
  if (!recorded) return undefined;
  const postmaster = await inspectProcess(recorded.pid);
  if (!postmaster?.args.includes(dataDir)) return undefined;
  const port = Number(content.split("\n")[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Runs `work` on the configured database (`configured`: a URL variable is set; `dev` is then
 * undefined), or else on the dev database, stopping it afterwards if this call started it.
 */
export async function onConfiguredOrDevDatabase<T>(
  configured: boolean,
  log: (message: string) => void,
  work: (dev: DevDatabase | undefined) => Promise<T>,
): Promise<T> {
  if (configured) return work(undefined);
  const dev = await openDevDatabase(log).catch((error: unknown) => {
    throw new DevDatabaseError(
      `no database URL is set, so this command uses the dev database of \`npm run dev\`, which ` +
        `could not be opened: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  try {
    return await work(dev);
  } finally {
    await dev.stop();
  }
}

/**
 * Errors a dev database gets after a branch switch, and db:verify's SCHEMA_DRIFT (a schema no
 * migration of this checkout builds); rebuilding it is the way out.
 */
const RESETTABLE = new Set([
  "UNKNOWN_APPLIED",
  "CHECKSUM_MISMATCH",
  "OUT_OF_ORDER",
  "SCHEMA_DRIFT",
]);

export function devResetHint(codes: string[]): string | undefined {
  if (!codes.some((code) => RESETTABLE.has(code))) return undefined;
  return (
    "This is the dev database: `npm run db:reset` drops and recreates it and applies this " +
    "checkout's migrations (its data is lost)."
  );
}
