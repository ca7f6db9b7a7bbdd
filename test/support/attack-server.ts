import { afterAll, beforeAll, inject } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "./database";
import { get, type ServerProcess, startServer } from "./next-app";

/**
 * A production server (`next start` of the suite's shared build) on a fresh migrated database,
 * for one attack file: started in `beforeAll`, stopped and dropped in `afterAll`. `env` adds
 * settings (SIGN_UP_ENABLED, …), read when the server starts when given as a function (a value
 * another `beforeAll` registered earlier sets up, such as a collector's URL); `appDatabaseUrl` gives the app's pool another way to the
 * database (a proxy), while the boot migrator keeps the direct one.
 */
export interface AttackServer {
  readonly url: string;
  /** The app's database, to arrange what an admin would have done and to check what was written. */
  readonly db: DbConnection["db"];
  readonly databaseUrl: string;
  output(): string;
}

export function attackServerForFile(
  env: Record<string, string> | (() => Record<string, string>) = {},
  options: { appDatabaseUrl?: (databaseUrl: string) => Promise<string> | string } = {},
): AttackServer {
  let database: TestDatabase | undefined;
  let connection: DbConnection | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    connection = createDbConnection({ url: database.url, max: 2, applicationName: "attacks" });
    const appUrl = (await options.appDatabaseUrl?.(database.url)) ?? database.url;
    server = await startServer("next start", inject("attackAppDir"), {
      DATABASE_URL: appUrl,
      MIGRATIONS_DATABASE_URL: database.url,
      ...(typeof env === "function" ? env() : env),
    });
    await untilHealthy(server);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await connection?.close();
    await database?.drop();
  });

  const open = () => {
    if (!server || !connection || !database) {
      throw new Error("attackServerForFile(): the server only runs inside tests");
    }
    return { server, connection, database };
  };
  return {
    get url() {
      return open().server.url;
    },
    get db() {
      return open().connection.db;
    },
    get databaseUrl() {
      return open().database.url;
    },
    output: () => open().server.output(),
  };
}

/** Waits for the first answer from the app (the boot migrator has run by then). */
async function untilHealthy(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await get(`${server.url}/sign-in`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer within 30 s:\n${server.output()}`);
}
