import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { findFreePort } from "@tools/database-source/free-port";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migratorChildEnv, withSql } from "../../support/migrator";
import { startScript } from "../../support/processes";

// The db:* commands without a database URL, on their own dev data directory (never the
// developer's), with the dev cluster's default port held by this test.

let scratch: string;
let dataDir: string;
let holder: net.Server | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "dev-database-test-"));
  // As root, Postgres runs as the postgres user, which must enter every parent of a data dir.
  await chmod(scratch, 0o755);
  dataDir = path.join(scratch, "dev-postgres");
});

afterAll(async () => {
  holder?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** A db:* script with no database URL at all, as a newcomer runs it. */
function run(script: string, env: Record<string, string> = {}) {
  return startScript(script, [], {
    env: migratorChildEnv({ DEV_DATABASE_DIR: dataDir, ...env }),
  }).exited;
}

/** Listens on `port` (if it is free) so that the dev cluster cannot. */
function hold(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => {
      holder = server;
      resolve(true);
    });
  });
}

const DEFAULT_PORT = 54_329;

describe("db:* commands without DATABASE_URL use the dev database", () => {
  test("the default port taken: a free one is picked, said, and kept for the data directory", async () => {
    // Whoever holds 54329 (this test, or another program) makes the dev cluster move.
    await hold(DEFAULT_PORT);

    const first = await run("scripts/db-migrate.ts");
    const kept = Number(await readFile(`${dataDir}.port`, "utf8"));
    const second = await run("scripts/db-status.ts");

    expect(first.code).toBe(0);
    expect(first.output).toContain(`started the dev database in ${dataDir}`);
    expect(first.output).toMatch(/Port 54329 is taken by another program, so the dev database/);
    expect(kept).not.toBe(DEFAULT_PORT);
    expect(first.output).toContain(`127.0.0.1:${kept}/agency_reporting (DEV_DATABASE_DIR)`);
    expect(second.code).toBe(0);
    expect(second.output).toContain(`database: 127.0.0.1:${kept}/agency_reporting`);
    expect(second.output).toMatch(/pending \(0\)/);
    expect(second.output).not.toContain("is taken");
  });

  test("an explicit DEV_DATABASE_PORT that is taken fails, naming the variable", async () => {
    const port = await findFreePort();
    const blocker = net.createServer().listen(port, "127.0.0.1");
    try {
      const result = await run("scripts/db-status.ts", { DEV_DATABASE_PORT: String(port) });

      expect(result.code).toBe(2);
      expect(result.output).toContain(`DEV_DATABASE_PORT=${port} is set: choose a free port`);
    } finally {
      blocker.close();
    }
  });

  test("a ledger from another branch: db:status names db:reset, which rebuilds the dev database", async () => {
    // The dev cluster running for a while, as under `npm run dev`: the commands reuse it.
    const cluster = startScript("test/support/fixtures/hold-embedded-postgres.ts", [dataDir], {
      env: migratorChildEnv({}),
    });
    try {
      await cluster.waitForOutput(/ready/, 60_000);
      const pidFile = await readFile(path.join(dataDir, "postmaster.pid"), "utf8");
      const port = pidFile.split("\n")[3];
      // What another branch's migration leaves behind.
      await withSql(`postgres://postgres:postgres@127.0.0.1:${port}/agency_reporting`, (sql) =>
        sql.unsafe(
          "insert into drizzle.__drizzle_migrations (hash, created_at) " +
            "values ('other-branch', 4102444800000)",
        ),
      );

      const refused = await run("scripts/db-status.ts");
      const reset = await run("scripts/db-reset.ts");
      const after = await run("scripts/db-status.ts");

      expect(refused.code).toBe(1);
      expect(refused.output).toContain("UNKNOWN_APPLIED");
      expect(refused.output).toContain("`npm run db:reset` drops and recreates it");
      expect(refused.output).toContain("using the dev database of the running `npm run dev`");
      expect(reset.code).toBe(0);
      expect(reset.output).toContain("dropped and recreated agency_reporting");
      expect(after.code).toBe(0);
      expect(after.output).toMatch(/problems \(0\)/);
    } finally {
      await cluster.stop();
    }
  });

  test("db:reset refuses any database but the dev one", async () => {
    const result = await run("scripts/db-reset.ts", {
      DATABASE_URL: "postgres://app@db.internal:5432/app",
    });

    expect(result.code).toBe(2);
    expect(result.output).toContain("refused: DATABASE_URL is set");
  });
});
