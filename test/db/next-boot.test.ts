import { cp, rm } from "node:fs/promises";
import path from "node:path";
import { MIGRATION_LOCK_KEY } from "drizzle-boot-migrator";
import { appendMigration, type Journal, readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { publicTables } from "../support/catalog";
import { applyMigrations, createTestDatabase, type TestDatabase } from "../support/database";
import { startLatencyProxy } from "../support/latency-proxy";
import { ledgerWhens, migrationLockHolders, withSql } from "../support/migrator";
import {
  asOperator,
  type BuiltApp,
  buildAppCopy,
  copyStandalone,
  get,
  type ServerKind,
  type ServerProcess,
  startServer,
} from "../support/next-app";
import { startOtlpCollector } from "../support/otlp-collector";

// Real `next build`, `next start` and standalone `server.js` processes on fresh databases. One
// build for the whole file (about 10–20 s) and one copy of its standalone output, as a deploy
// ships it; each test starts its own server on its own database.

let app: BuiltApp;
let standalone: { dir: string; remove(): Promise<void> };
let journal: Journal;
let latestTag: string;

const cleanups: (() => Promise<unknown>)[] = [];
const later = <T extends { drop?: () => Promise<void>; remove?: () => Promise<void> }>(
  resource: T,
) => {
  cleanups.push(async () => {
    await resource.drop?.();
    await resource.remove?.();
  });
  return resource;
};

beforeAll(async () => {
  app = await buildAppCopy();
  standalone = await copyStandalone(app);
  journal = readJournal(path.join(app.dir, "drizzle"));
  const last = journal.entries.at(-1);
  if (!last) throw new Error("drizzle/ has no migrations: the boot tests need at least one");
  latestTag = last.tag;
}, 300_000);

afterAll(async () => {
  await standalone?.remove();
  await app?.remove();
});

const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(): Promise<TestDatabase> {
  return later(await createTestDatabase());
}

async function start(kind: ServerKind, dir: string, env: Record<string, string>) {
  const server = await startServer(kind, dir, env);
  servers.push(server);
  return server;
}

/**
 * Where each kind of server runs: the built copy for `next start`, the copy of standalone/ else.
 * Both are shared by the file's tests: a test that changes `drizzle/` restores it
 * (`withMigration`).
 */
function serverDir(kind: ServerKind): string {
  return kind === "next start" ? app.dir : standalone.dir;
}

/** Polls until something answers (the port opens before `register()` finishes). */
async function firstAnswer(server: ServerProcess, route: string) {
  for (;;) {
    const response = await get(server.url + route, asOperator);
    if (response.status !== 0) return response;
    const exited = await Promise.race([server.exited.then(() => true), sleep(100)]);
    if (exited) throw new Error(`the server exited before answering:\n${server.output()}`);
  }
}

/**
 * Appends the migration `9999_broken` holding `sql` to the server's `drizzle/`, restoring the
 * folder after the test (the server directories are shared by the file).
 */
async function withMigration(dir: string, sql: string): Promise<void> {
  const drizzleDir = path.join(dir, "drizzle");
  const backup = `${drizzleDir}.orig`;
  await cp(drizzleDir, backup, { recursive: true });
  cleanups.push(async () => {
    await rm(drizzleDir, { recursive: true, force: true });
    await cp(backup, drizzleDir, { recursive: true });
    await rm(backup, { recursive: true, force: true });
  });
  appendMigration(drizzleDir, "9999_broken", sql);
}

/** Appends `9999_broken`, whose second statement fails (42P01), to the server's `drizzle/`. */
function addBrokenMigration(dir: string): Promise<void> {
  return withMigration(
    dir,
    "CREATE TABLE boot_probe (id int);\n--> statement-breakpoint\n" +
      "ALTER TABLE no_such_table ADD COLUMN x int;\n",
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("next build", () => {
  test("does not run the migrator and needs no database", () => {
    // buildAppCopy() builds with no DATABASE_URL at all: a register() run here would have failed it.
    expect(app.buildOutput).not.toContain("[migrate]");
    expect(app.buildOutput).toMatch(/ƒ \/api\/health/);
  });

  test("ships drizzle/ inside the standalone output", async () => {
    const standalone = path.join(app.dir, ".next/standalone/drizzle");
    expect(readJournal(standalone)).toEqual(journal);
  });
});

describe.each<ServerKind>(["next start", "standalone"])("%s", (kind) => {
  test("on an empty database: the first request sees the migrated schema", async () => {
    const db = await freshDatabase();
    const server = await start(kind, serverDir(kind), { DATABASE_URL: db.url });

    const first = await firstAnswer(server, "/api/health");

    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({
      status: "ok",
      version: latestTag,
      pending: [],
      ahead: 0,
    });
    // Without the token: the status alone, nothing about the schema.
    expect(await get(`${server.url}/api/health`)).toEqual({
      status: 200,
      body: JSON.stringify({ status: "ok" }),
    });
    expect(await ledgerWhens(db.url)).toHaveLength(journal.entries.length);
    expect(await withSql(db.url, publicTables)).toEqual(
      expect.arrayContaining(["users", "tenants"]),
    );
    expect((await get(`${server.url}/`)).status).toBe(200);
    expect(server.output()).toMatch(/\[migrate\] done: applied \d+ migration/);
  });

  test("on an up-to-date database: one [migrate] line, no lock", async () => {
    const db = later(await createTestDatabase({ migrated: true }));
    const server = await start(kind, serverDir(kind), { DATABASE_URL: db.url });

    const first = await firstAnswer(server, "/api/health");

    expect(first.status).toBe(200);
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.includes("[migrate]"));
    expect(lines).toEqual([expect.stringMatching(/^\[migrate\] .* is up to date at /)]);
  });

  test("with a broken migration: exits non-zero, never answers 200, changes nothing", async () => {
    const dir = serverDir(kind);
    await addBrokenMigration(dir);
    const db = await freshDatabase();
    const server = await start(kind, dir, { DATABASE_URL: db.url });

    const statuses = new Set<number>();
    let exitCode: number | null | undefined;
    void server.exited.then((code) => {
      exitCode = code;
    });
    while (exitCode === undefined) {
      const [health, home] = await Promise.all([
        get(`${server.url}/api/health`),
        get(`${server.url}/`),
      ]);
      statuses.add(health.status).add(home.status);
      await sleep(50);
    }

    expect(exitCode).toBe(1);
    expect(statuses).not.toContain(200);
    const output = server.output();
    expect(output).toContain("9999_broken.sql (statement 2 of 2)");
    expect(output).toContain("ALTER TABLE no_such_table ADD COLUMN x int;");
    expect(output).toContain("SQLSTATE 42P01");
    expect(output).toContain("exiting with code 1");
    expect(await withSql(db.url, publicTables)).toEqual([]);
    expect(await ledgerWhens(db.url)).toEqual([]);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});

describe("standalone server", () => {
  test("holds requests until register() has migrated", async () => {
    const db = await freshDatabase();
    const holder = createDbConnection({
      url: db.url,
      max: 1,
      applicationName: "next-boot-test:lock-holder",
    });
    cleanups.push(() => holder.close());
    await holder.client`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;

    const server = await start("standalone", serverDir("standalone"), {
      DATABASE_URL: db.url,
    });
    await server.waitForOutput(/Ready in/);
    await server.waitForOutput(/\[migrate\] waiting for the migration lock.*lock-holder/);

    const events: string[] = [];
    const request = get(`${server.url}/api/health`, asOperator).then((response) => {
      events.push(`response ${response.status}`);
      return response;
    });
    // The port is open and the request is in; it must still be waiting a moment later.
    await sleep(1_500);
    events.push("lock released");
    await holder.client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    const response = await request;

    expect(events).toEqual(["lock released", "response 200"]);
    expect(JSON.parse(response.body)).toMatchObject({ version: latestTag });
  });

  test("serverless (VERCEL=1): a migration the build step did not apply makes every request 503 with the reason; the instance stays up", async () => {
    const dir = serverDir("standalone");
    await withMigration(dir, "ALTER TABLE no_such_table ADD COLUMN x int;\n");
    const db = later(await createTestDatabase({ migrated: true }));
    const server = await start("standalone", dir, { DATABASE_URL: db.url, VERCEL: "1" });

    const health = await firstAnswer(server, "/api/health");
    const [anonymous, page, api] = await Promise.all([
      get(`${server.url}/api/health`),
      get(`${server.url}/sign-in`),
      get(`${server.url}/api/auth/ok`),
    ]);
    await sleep(1_000);

    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({
      reason: expect.stringContaining("9999_broken"),
      failure: { code: "MIGRATIONS_NOT_APPLIED" },
    });
    expect(anonymous).toEqual({ status: 503, body: JSON.stringify({ status: "unavailable" }) });
    expect(page.status).toBe(503);
    expect(page.body).toContain("MIGRATIONS_NOT_APPLIED");
    // A production page names the code only; the reason is in the log and behind the token.
    expect(page.body).not.toContain("9999_broken");
    expect(api.status).toBe(503);
    expect(await Promise.race([server.exited, sleep(0).then(() => "running")])).toBe("running");
    expect(server.output()).toContain("[migrate] failed (MIGRATIONS_NOT_APPLIED)");
    expect(server.output()).not.toContain("took the migration lock");
    expect(await ledgerWhens(db.url)).toHaveLength(journal.entries.length);
  });

  test("without DATABASE_URL: exits 1 naming the variable and what it is for", async () => {
    const server = await start("standalone", serverDir("standalone"), {});

    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(
      "[migrate] failed (CONFIG): DATABASE_URL is not set: it is the Postgres connection string",
    );
  });

  test("health answers 503 once the database stops answering", async () => {
    const db = await freshDatabase();
    const server = await start("standalone", serverDir("standalone"), {
      DATABASE_URL: db.url,
    });
    expect((await firstAnswer(server, "/api/health")).status).toBe(200);

    // WITH (FORCE) also ends the sessions of the server's pool.
    await db.drop();
    const health = await get(`${server.url}/api/health`, asOperator);

    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({
      reason: expect.stringMatching(/^the database is unreachable: /),
    });
  });

  test("with MIGRATE_ON_BOOT=false: health lists pending migrations, then turns 200 once applied", async () => {
    const db = await freshDatabase();
    const dir = serverDir("standalone");
    const server = await start("standalone", dir, {
      DATABASE_URL: db.url,
      MIGRATE_ON_BOOT: "false",
    });

    const first = await firstAnswer(server, "/api/health");

    expect(first.status).toBe(503);
    expect(JSON.parse(first.body)).toMatchObject({
      version: null,
      pending: journal.entries.map((entry) => entry.tag),
    });
    expect(await ledgerWhens(db.url)).toEqual([]);

    // What a release step does: `npm run db:migrate` against the same database.
    await applyMigrations(db.url, path.join(dir, "drizzle"));

    let health = await get(`${server.url}/api/health`, asOperator);
    for (let attempt = 0; health.status !== 200 && attempt < 100; attempt++) {
      await sleep(200);
      health = await get(`${server.url}/api/health`, asOperator);
    }
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({
      status: "ok",
      version: latestTag,
      pending: [],
      ahead: 0,
    });
  });
});

describe("observability (standalone server)", () => {
  test("a cold start on the app's own URL opens one connection: the check's stays in the pool", async () => {
    const db = later(await createTestDatabase({ migrated: true }));
    const relay = await startLatencyProxy(db.url, 0);
    cleanups.push(() => relay.close());
    const server = await start("standalone", serverDir("standalone"), {
      DATABASE_URL: relay.url,
    });

    expect((await firstAnswer(server, "/api/health")).status).toBe(200);
    expect((await get(`${server.url}/api/health`)).status).toBe(200);

    expect(relay.connections()).toBe(1);
    const sessions = await withSql(
      db.url,
      (sql) => sql<{ application_name: string }[]>`
        select application_name from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`,
    );
    expect(sessions.map((session) => session.application_name)).toEqual(["agency-reporting:app"]);
  });

  test("LOG_FORMAT=json: every boot line is one JSON event", async () => {
    const db = later(await createTestDatabase({ migrated: true }));
    const server = await start("standalone", serverDir("standalone"), {
      DATABASE_URL: db.url,
      LOG_FORMAT: "json",
    });

    expect((await firstAnswer(server, "/api/health")).status).toBe(200);

    const output = server.output();
    expect(output).not.toContain("[migrate]");
    const events = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual([
      expect.objectContaining({
        level: "info",
        event: "migrate.up_to_date",
        version: latestTag,
        durationMs: expect.any(Number),
        connectMs: expect.any(Number),
      }),
    ]);
  });

  test("OTEL_EXPORTER_OTLP_ENDPOINT: a failed boot's spans reach the collector before the exit", async () => {
    const collector = await startOtlpCollector();
    cleanups.push(() => collector.close());
    const dir = serverDir("standalone");
    await addBrokenMigration(dir);
    const db = await freshDatabase();
    const server = await start("standalone", dir, {
      DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "boot-under-test",
    });

    expect(await server.exited).toBe(1);

    const spans = collector.spans();
    expect(spans.map((span) => span.service)).toContain("boot-under-test");
    const failed = (name: string) => spans.find((span) => span.name === name);
    for (const name of ["boot", "migrate.run"]) {
      expect(failed(name), name).toMatchObject({
        status: 2, // ERROR
        attributes: expect.objectContaining({ "error.type": "MIGRATION_FAILED" }),
      });
    }
    expect(spans.find((span) => span.attributes["migrate.tag"] === "9999_broken")).toMatchObject({
      name: "migrate.migration",
      status: 2,
      attributes: expect.objectContaining({ "db.response.status_code": "42P01" }),
    });
  });
});
