import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { MIGRATION_LOCK_KEY } from "drizzle-boot-migrator";
import { appendMigration, readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { publicTables } from "../support/catalog";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { eventually, ledgerWhens, startMigratorCli, withSql } from "../support/migrator";
import { type AppCopy, copyApp, get, type ServerProcess, startServer } from "../support/next-app";

// One real `next dev` process on one database for the whole file (it takes seconds to start and
// compile): the cases run in order, each adding migrations to the copy's drizzle/ while it runs.

let app: AppCopy;
let db: TestDatabase;
let server: ServerProcess;
let drizzleDir: string;

beforeAll(async () => {
  [app, db] = await Promise.all([copyApp(), createTestDatabase()]);
  drizzleDir = path.join(app.dir, "drizzle");
  server = await startServer("next dev", app.dir, { DATABASE_URL: db.url });
  await server.waitForOutput(/\[migrate\] following .*drizzle/, 120_000);
  // The first request compiles the health route; later ones are quick.
  expect((await get(`${server.url}/api/health`)).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  await app?.remove();
});

interface Health {
  status: string;
  version?: string | null;
  pending?: string[];
  failure?: { code: string; file?: string; sqlState?: string };
}

async function health(): Promise<{ status: number; body: Health }> {
  const response = await get(`${server.url}/api/health`);
  return { status: response.status, body: JSON.parse(response.body) as Health };
}

/** Polls health until `accept` holds; the dev loop needs about a second per change. */
async function healthUntil(what: string, accept: (body: Health) => boolean): Promise<Health> {
  let last: Health | undefined;
  await eventually(
    what,
    async () => {
      last = (await health()).body;
      return accept(last);
    },
    30_000,
  );
  return last as Health;
}

const stillRunning = () =>
  Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 0, "running"))]);

describe("next dev follows drizzle/", () => {
  test("a migration added while it runs is applied: its table exists and health names it", async () => {
    appendMigration(drizzleDir, "0100_live_notes", "CREATE TABLE live_notes (id int);\n");

    await healthUntil("health names 0100_live_notes", (body) => body.version === "0100_live_notes");

    expect(await withSql(db.url, publicTables)).toContain("live_notes");
    expect(await health()).toEqual({
      status: 200,
      body: { status: "ok", version: "0100_live_notes", pending: [], ahead: 0 },
    });
  });

  test("a broken one answers 503 naming the file while the process lives; the fix brings 200 back", async () => {
    appendMigration(
      drizzleDir,
      "0101_broken",
      "CREATE TABLE half_done (id int);\n--> statement-breakpoint\n" +
        "ALTER TABLE no_such_table ADD COLUMN x int;\n",
    );

    const failed = await healthUntil("health reports the failure", (body) => !!body.failure);
    const page = await get(`${server.url}/sign-in`);
    const api = await get(`${server.url}/api/auth/ok`);

    expect(failed.failure).toEqual({
      code: "MIGRATION_FAILED",
      file: "drizzle/0101_broken.sql",
      statement: "ALTER TABLE no_such_table ADD COLUMN x int;",
      sqlState: "42P01",
    });
    expect(page.status).toBe(503);
    expect(page.body).toContain("drizzle/0101_broken.sql");
    expect(page.body).toContain("ALTER TABLE no_such_table ADD COLUMN x int;");
    expect(page.body).toContain("relation &quot;no_such_table&quot; does not exist");
    expect(page.body).toContain("42P01");
    expect(page.body).toContain("What to do");
    expect(api.status).toBe(503);
    expect(await stillRunning()).toBe("running");
    // Rolled back: nothing of the broken migration is there.
    expect(await withSql(db.url, publicTables)).not.toContain("half_done");

    await writeFile(path.join(drizzleDir, "0101_broken.sql"), "CREATE TABLE fixed (id int);\n");

    await healthUntil("the fix is applied", (body) => body.version === "0101_broken");
    expect((await get(`${server.url}/sign-in`)).status).toBe(200);
    expect(await withSql(db.url, publicTables)).toEqual(
      expect.arrayContaining(["fixed", "live_notes"]),
    );
  });

  test("a db:migrate from another process at the same moment applies nothing twice", async () => {
    // The test holds the migration lock until both the dev server and the CLI wait for it, then
    // lets them race.
    const holder = createDbConnection({ url: db.url, max: 1, applicationName: "next-dev-test" });
    try {
      await holder.client`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      appendMigration(drizzleDir, "0102_raced", "CREATE TABLE raced (id int);\n");
      await server.waitForOutput(/waiting for the migration lock/, 30_000);
      const cli = startMigratorCli("migrate", { url: db.url, folder: drizzleDir });
      await cli.waitForOutput(/waiting for the migration lock/, 60_000);
      await holder.client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;

      const result = await cli.exited;
      await healthUntil("it is applied", (body) => body.version === "0102_raced");

      expect(result.code).toBe(0);
      // Whichever lost the race says so; when the CLI won, the dev server's migrator takes the
      // lock after the ledger already shows 0102 (what health reads), so its line may come later.
      const lostTheRace = /another instance applied the pending migrations while this one waited/;
      if (!lostTheRace.test(result.output)) await server.waitForOutput(lostTheRace, 30_000);
    } finally {
      await holder.close();
    }
    const journal = readJournal(drizzleDir);
    expect(await ledgerWhens(db.url)).toEqual(journal.entries.map((entry) => entry.when));
    expect(await withSql(db.url, publicTables)).toContain("raced");
  });

  test("an empty custom migration filled a moment later is applied once, with its content", async () => {
    // What `drizzle-kit generate --custom` writes.
    appendMigration(
      drizzleDir,
      "0104_backfill",
      "-- Custom SQL migration file, put your code below! --\n",
    );
    await server.waitForOutput(/waiting for SQL in drizzle\/0104_backfill\.sql/, 30_000);
    expect((await health()).body.pending).toEqual(["0104_backfill"]);

    const file = path.join(drizzleDir, "0104_backfill.sql");
    await writeFile(file, `${await readFile(file, "utf8")}CREATE TABLE backfilled (id int);\n`);

    await healthUntil(
      "the filled migration is applied",
      (body) => body.version === "0104_backfill",
    );
    expect(await withSql(db.url, publicTables)).toContain("backfilled");
    const whens = await ledgerWhens(db.url);
    expect(new Set(whens).size).toBe(whens.length);
    expect(whens).toHaveLength(readJournal(drizzleDir).entries.length);
  });
});

describe("next dev explains a query on a column no migration created", () => {
  test("the error page and the terminal name the likely cause and the command", async () => {
    // What a schema change without its migration looks like to a query: the schema selects
    // users.invite_expires_at, the database has no such column. Last in the file: it breaks users.
    await withSql(db.url, (sql) => sql`ALTER TABLE users DROP COLUMN invite_expires_at`);

    // A token-shaped link makes the invitation page look the token up.
    const page = await get(`${server.url}/invite/${"a".repeat(43)}`);

    expect(page.status).toBe(500);
    // The dev error page carries the error and its cause as JSON for the overlay.
    const html = page.body
      .replaceAll("\\u003c", "<")
      .replaceAll("\\u003e", ">")
      .replaceAll("\\", "");
    expect(html).toContain('column "invite_expires_at" does not exist (SQLSTATE 42703)');
    expect(html).toContain("no migration has created it in this database");
    expect(html).toContain("npm run db:generate -- --name <what-changed>");
    // Next prints the error with its cause on the terminal too.
    await expect
      .poll(() => server.output(), { timeout: 10_000 })
      .toMatch(
        /\[cause\]: .*column "invite_expires_at" does not exist \(SQLSTATE 42703\): .*npm run db:generate -- --name <what-changed>/,
      );
  });
});
