/**
 * `tsx scripts/with-database.ts -- <command> [args...]`: runs the command with DATABASE_URL set
 * to a fresh database, for Playwright's webServer, benches and one-off checks. The server is
 * DATABASE_URL's or TEST_DATABASE_URL's when set, else a container, else a throwaway embedded
 * Postgres. Signals go to the command; afterwards the database (on a given server) or the whole
 * throwaway server is removed, and the command's exit code is this script's.
 */

import { runSharingTerminal } from "@tools/cli/child-process";
import { watchTerminationSignals } from "@tools/cli/signals";
import { type DatabaseSourceKind, startDatabaseServer } from "@tools/database-source";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "@tools/database-source/databases";
import { readEnv } from "../src/env";

const USAGE = "usage: tsx scripts/with-database.ts -- <command> [args...]";
const say = (line: string) => console.error(`[with-database] ${line}`);

const described: Record<DatabaseSourceKind, string> = {
  url: "the server at DATABASE_URL / TEST_DATABASE_URL",
  container: "a Postgres container",
  embedded: "a throwaway embedded Postgres",
};

async function main(argv: string[]): Promise<number> {
  const separator = argv.indexOf("--");
  const [command, ...args] = separator === -1 ? argv : argv.slice(separator + 1);
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  const watch = watchTerminationSignals();
  const env = readEnv();
  const server = await startDatabaseServer({
    purpose: "test",
    explicitUrl: env.DATABASE_URL ?? env.TEST_DATABASE_URL,
  });
  try {
    const name = uniqueDatabaseName("run");
    await createDatabase(server.adminUrl, name);
    say(`database ${name} on ${described[server.kind]}`);
    try {
      return await runSharingTerminal(watch, command, args, {
        ...process.env,
        DATABASE_URL: databaseUrl(server.adminUrl, name),
      });
    } finally {
      // A throwaway server goes as a whole; on a server someone gave us, leave nothing behind.
      if (server.kind === "url") await dropDatabase(server.adminUrl, name);
    }
  } finally {
    await server.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
