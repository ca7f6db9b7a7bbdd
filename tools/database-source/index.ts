import { readEnv } from "@/env";
import { startPostgresContainer } from "./container";
import { isContainerRuntimeAvailable } from "./container-runtime";
import { devDataDir } from "./dev-data-dir";
import { chooseDevPort, keepDevPort } from "./dev-port";
import { startEmbeddedPostgres } from "./embedded";
import { DatabaseSourceError } from "./errors";
import { postgresRunAs } from "./postgres-user";
import { PostmasterStartError } from "./postmaster";
import { type DatabaseSourceKind, selectDatabaseSource } from "./select";

export type { DatabaseSourceKind } from "./select";
export { DatabaseSourceError };

/**
 * - dev: `npm run dev`; DATABASE_URL, else an embedded Postgres whose data stays in
 *   DEV_DATABASE_DIR (never a container: its data would not survive), on the port of dev-port.ts.
 * - test: TEST_DATABASE_URL, else a container, else a throwaway embedded Postgres (fsync off).
 * - bench: as test, but a throwaway embedded Postgres keeps its default durability settings so
 *   that timings resemble a real server's.
 */
export type DatabasePurpose = "dev" | "test" | "bench";

export interface StartDatabaseServerOptions {
  purpose: DatabasePurpose;
  /** Overrides the URL this purpose reads from the environment. */
  explicitUrl?: string | undefined;
  /** Notices worth showing (a cluster created, an orphan stopped); silent by default. */
  log?: (message: string) => void;
  /** The embedded Postgres's own output, line by line; silent by default. */
  postgresLog?: (line: string) => void;
}

export interface DatabaseServer {
  kind: DatabaseSourceKind;
  /** A superuser URL to the server's `postgres` database (for CREATE DATABASE and such). */
  adminUrl: string;
  /** An embedded server's data directory. */
  dataDir?: string;
  /** Stops what was started (nothing for an explicit URL) and removes temporary data. */
  stop(): Promise<void>;
}

export async function startDatabaseServer(
  options: StartDatabaseServerOptions,
): Promise<DatabaseServer> {
  const env = readEnv();
  const { purpose } = options;
  const explicitUrl =
    options.explicitUrl ?? (purpose === "dev" ? env.DATABASE_URL : env.TEST_DATABASE_URL);
  const kind = await selectDatabaseSource({
    explicitUrl,
    containerRuntimeAvailable: purpose === "dev" ? undefined : () => isContainerRuntimeAvailable(),
  });

  if (kind === "url" && explicitUrl) return { kind, adminUrl: explicitUrl, stop: async () => {} };
  if (kind === "container") return { kind, ...(await startPostgresContainer()) };
  const logs = { log: options.log, postgresLog: options.postgresLog };
  if (purpose !== "dev") {
    const server = await startEmbeddedPostgres({ fast: purpose === "test", ...logs });
    return { kind: "embedded", ...server };
  }
  const log = options.log ?? (() => {});
  const dataDir = await devDataDir(env.DEV_DATABASE_DIR, await postgresRunAs(), log);
  const choice = await chooseDevPort(env.DEV_DATABASE_PORT, dataDir);
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    server = await startEmbeddedPostgres({
      dataDir,
      port: choice.port,
      portMayChange: choice.mayChange,
      ownProcessGroup: true,
      ...logs,
    });
  } catch (error) {
    if (error instanceof PostmasterStartError && error.failure === "port-in-use") {
      throw new DatabaseSourceError(
        `${error.message}\nDEV_DATABASE_PORT=${choice.port} is set: choose a free port, or unset ` +
          "it and `npm run dev` picks a free one and keeps it for the data directory.",
        { cause: error },
      );
    }
    throw error;
  }
  await keepDevPort(choice, dataDir, Number(new URL(server.adminUrl).port), log);
  return { kind: "embedded", ...server };
}
