/**
 * `npm run test:versions [-- <major> ...]`: the migrations and the database tests (vitest project
 * "db") on every supported Postgres major, each an embedded Postgres of that version (installed on
 * demand, see tools/database-source/postgres-versions.ts), then a check that Postgres 14 is
 * refused by `db:migrate` with nothing written. Prints one line per major; exit code 1 if any
 * failed. docs/deployment.md records the last result.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { runCommand } from "@tools/cli/run-command";
import { testRunSummary } from "@tools/cli/test-summary";
import { createDatabase, databaseUrl, uniqueDatabaseName } from "@tools/database-source/databases";
import { startEmbeddedPostgres } from "@tools/database-source/embedded";
import {
  postgresVersionBinaries,
  REFUSED_POSTGRES,
  SUPPORTED_POSTGRES,
} from "@tools/database-source/postgres-versions";
import { createDbConnection } from "../src/lib/db/client";
import { MIGRATIONS } from "../src/lib/db/migrations-config";

const root = fileURLToPath(new URL("..", import.meta.url));
const say = (line: string) => console.log(`[test:versions] ${line}`);

interface Outcome {
  major: string;
  version: string;
  ok: boolean;
  summary: string;
}

/** The database tests against this server; their summary line, or the output's end on failure. */
async function databaseTests(adminUrl: string): Promise<{ ok: boolean; summary: string }> {
  const run = await runCommand(
    process.execPath,
    [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--project", "db"],
    { cwd: root, env: { ...process.env, TEST_DATABASE_URL: adminUrl }, timeoutMs: 3_600_000 },
  );
  return testRunSummary("database tests", run);
}

/** `db:migrate` on an empty database must refuse and leave no ledger schema (`drizzle`). */
async function refusal(adminUrl: string): Promise<{ ok: boolean; summary: string }> {
  const name = uniqueDatabaseName("versions");
  await createDatabase(adminUrl, name);
  const url = databaseUrl(adminUrl, name);
  const run = await runCommand("npm", ["run", "--silent", "db:migrate"], {
    cwd: root,
    env: { ...process.env, MIGRATIONS_DATABASE_URL: url },
  });
  const connection = createDbConnection({ url, max: 1 });
  try {
    const [row] = await connection.client<{ found: boolean }[]>`
      select exists (select from pg_namespace where nspname = ${MIGRATIONS.schema}) as found`;
    const firstLine = stripVTControlCharacters(run.output).trim().split("\n")[0] ?? "";
    const ok = run.code !== 0 && row?.found === false;
    return {
      ok,
      summary: `db:migrate exit ${run.code}, ${MIGRATIONS.schema} schema ${row?.found ? "created" : "absent"}: ${firstLine}`,
    };
  } finally {
    await connection.close();
  }
}

async function onVersion(
  major: string,
  version: string,
  check: (adminUrl: string) => Promise<{ ok: boolean; summary: string }>,
): Promise<Outcome> {
  say(`Postgres ${major} (${version})…`);
  const started = performance.now();
  const binaries = await postgresVersionBinaries(root, version);
  const server = await startEmbeddedPostgres({ binaries, fast: true });
  try {
    const result = await check(server.adminUrl);
    const seconds = Math.round((performance.now() - started) / 1000);
    say(`Postgres ${major}: ${result.ok ? "ok" : "FAILED"} in ${seconds} s — ${result.summary}`);
    return { major, version, ...result };
  } finally {
    await server.stop();
  }
}

async function main(only: string[]): Promise<number> {
  const wanted = (major: string) => only.length === 0 || only.includes(major);
  const outcomes: Outcome[] = [];
  for (const [major, version] of Object.entries(SUPPORTED_POSTGRES)) {
    if (wanted(major)) outcomes.push(await onVersion(major, version, databaseTests));
  }
  for (const [major, version] of Object.entries(REFUSED_POSTGRES)) {
    if (wanted(major)) outcomes.push(await onVersion(major, version, refusal));
  }
  say("summary:");
  for (const outcome of outcomes) {
    say(
      `  ${outcome.major} (${outcome.version}): ${outcome.ok ? "ok" : "FAILED"}, ${outcome.summary.split("\n")[0]}`,
    );
  }
  return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
}

main(process.argv.slice(2).filter((arg) => arg !== "--")).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
