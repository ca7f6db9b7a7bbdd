import { existsSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { withSql } from "../../support/migrator";
import { startScript } from "../../support/processes";

// The command under test: report what DATABASE_URL points at, then exit with a chosen code.
const REPORT = `
import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL, { max: 1 });
const [row] = await sql\`select 1 as one, current_database() as database,
  current_setting('data_directory') as "dataDir", version()\`;
console.log("REPORT " + JSON.stringify(row));
await sql.end();
`;

function report(output: string) {
  const line = output.split("\n").find((candidate) => candidate.startsWith("REPORT "));
  if (!line) throw new Error(`the command printed no report:\n${output}`);
  return JSON.parse(line.slice("REPORT ".length)) as {
    one: number;
    database: string;
    dataDir: string;
    version: string;
  };
}

const databaseExists = (name: string): Promise<boolean> =>
  withSql(inject("adminDatabaseUrl"), async (sql) => {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    return rows.length > 0;
  });

/** The script with only PATH, NODE_ENV and `env`: the runner's TEST_DATABASE_URL must not leak in. */
const withDatabase = (args: string[], env: Record<string, string> = {}) =>
  startScript("scripts/with-database.ts", args, {
    env: { PATH: process.env.PATH, NODE_ENV: "test", ...env },
  });

const node = (script: string) => [process.execPath, "--input-type=module", "-e", script];

describe("scripts/with-database.ts", () => {
  it("runs the command on a fresh database of the given server, then drops it", async () => {
    const { code, stdout } = await withDatabase(["--", ...node(`${REPORT}\nprocess.exit(3);`)], {
      DATABASE_URL: inject("adminDatabaseUrl"),
    }).exited;

    expect(code).toBe(3);
    const row = report(stdout);
    expect(row.one).toBe(1);
    expect(row.database).toMatch(/^run_/);
    expect(await databaseExists(row.database)).toBe(false);
  });

  it("without a URL, uses a throwaway embedded Postgres and removes it afterwards", async () => {
    const { code, stdout } = await withDatabase(["--", ...node(REPORT)]).exited;

    expect(code).toBe(0);
    const row = report(stdout);
    expect(row.version).toMatch(/^PostgreSQL 18\./);
    expect(existsSync(row.dataDir)).toBe(false);
  });

  it("passes SIGTERM to the command and still removes the database", async () => {
    const waitForSignal = `
process.on("SIGTERM", () => { console.log("command got SIGTERM"); process.exit(0); });
${REPORT}
setInterval(() => {}, 1000);`;
    const run = withDatabase(["--", ...node(waitForSignal)]);
    await run.waitForOutput(/REPORT .*\n/);
    run.child.kill("SIGTERM");
    const { code, stdout } = await run.exited;

    expect(stdout).toMatch(/command got SIGTERM/);
    expect(code).toBe(0);
    expect(existsSync(report(stdout).dataDir)).toBe(false);
  });

  it("explains its usage when no command is given", async () => {
    const { code, stderr } = await withDatabase([]).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: .*with-database\.ts -- <command>/);
  });
});
