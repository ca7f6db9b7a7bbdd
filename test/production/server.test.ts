import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, MIGRATIONS_FOLDER, type TestDatabase } from "../support/database";
import { ledgerWhens } from "../support/migrator";
import {
  type BuiltApp,
  buildAppCopy,
  get,
  installProductionCopy,
  readJournal,
  type ServerProcess,
  startServer,
} from "../support/next-app";
import { advisoryLocks, pgbouncerForFile } from "../support/pgbouncer";
import { needs } from "../support/system-tools";

// What a production host runs: `npm run build`, then in a directory of its own `npm ci
// --omit=dev` and `npm start`; here also behind Debian's PgBouncer (default settings, plain URL).
// One build and one install for the whole file; each test starts its own server on its own
// database.

let app: BuiltApp;
let host: Awaited<ReturnType<typeof installProductionCopy>>;

beforeAll(async () => {
  app = await buildAppCopy();
  host = await installProductionCopy(app);
}, 600_000);

afterAll(async () => {
  await host?.remove();
  await app?.remove();
});

const running: { server?: ServerProcess; database?: TestDatabase } = {};
afterEach(async () => {
  await running.server?.stop();
  await running.database?.drop();
  running.server = undefined;
  running.database = undefined;
});

async function npmStart(env: (database: TestDatabase) => Record<string, string>) {
  const database = await createTestDatabase();
  running.database = database;
  // The burst below sends each request from its own address, as a proxy on loopback would.
  const server = await startServer("npm start", host.dir, {
    BETTER_AUTH_TRUSTED_PROXIES: "127.0.0.1, ::1",
    ...env(database),
  });
  running.server = server;
  return { database, server };
}

/** Polls until the server answers (the port opens before the boot finishes) or exits. */
async function firstAnswer(server: ServerProcess, route = "/api/health") {
  for (;;) {
    const response = await get(server.url + route);
    if (response.status !== 0) return response;
    const exited = await Promise.race([
      server.exited.then((code) => ({ code })),
      new Promise<undefined>((resolve) => setTimeout(resolve, 100)),
    ]);
    if (exited) return { status: 0, body: "", exitCode: exited.code };
  }
}

/**
 * 40 sign-ins with a wrong password at once, each from its own client address so that none is rate
 * limited: Better Auth's parameterised queries and its rate-limit rows, through the app's pool.
 * Each must be answered 401. (`/api/health` is checked after the burst, not in it: its 2 s ping
 * limit would turn a slow answer on a loaded machine into a 503.)
 */
async function burst(server: ServerProcess): Promise<number[]> {
  return Promise.all(
    Array.from({ length: 40 }, (_, n) =>
      fetch(`${server.url}/api/auth/sign-in/email`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: server.url,
          "x-forwarded-for": `198.51.100.${n}`,
        },
        body: JSON.stringify({ email: `visitor-${n}@example.com`, password: "not-the-password" }),
        signal: AbortSignal.timeout(60_000),
      }).then(
        (response) => response.status,
        () => 0,
      ),
    ),
  );
}

const BURST_ANSWERS = Array.from({ length: 40 }, () => 401);

async function journalWhens(): Promise<number[]> {
  return (await readJournal(MIGRATIONS_FOLDER)).entries.map((entry) => entry.when);
}

describe("npm start after npm ci --omit=dev", () => {
  it("serves the build with its static assets, migrating at boot, without Next's warning", async () => {
    const { database, server } = await npmStart((db) => ({ DATABASE_URL: db.url }));

    const health = await firstAnswer(server);
    expect(health.status, server.output()).toBe(200);
    expect(await ledgerWhens(database.url)).toEqual(await journalWhens());

    const page = await get(`${server.url}/sign-in`);
    expect(page.status).toBe(200);
    const script = /\/_next\/static\/[^"]+\.js/.exec(page.body)?.[0];
    expect(script, "a script of the page").toBeDefined();
    expect((await get(server.url + script)).status).toBe(200);

    expect(server.output()).not.toMatch(/does not work with "output: standalone"|⚠/);
    expect(host.installOutput).not.toMatch(/npm warn/i);
  });
});

describe("the app's pool through PgBouncer in transaction mode", needs("pgbouncer"), () => {
  const bouncer = pgbouncerForFile("transaction");

  it("DATABASE_POOLER=transaction, migrations over the direct URL: 40 requests at once all answered, health stays 200", async () => {
    const { server } = await npmStart((db) => ({
      DATABASE_URL: bouncer.current.urlFor(db.url),
      DATABASE_POOLER: "transaction",
      MIGRATIONS_DATABASE_URL: db.url,
    }));
    expect((await firstAnswer(server)).status, server.output()).toBe(200);

    expect(await burst(server)).toEqual(BURST_ANSWERS);
    expect((await get(`${server.url}/api/health`)).status).toBe(200);
  });

  it("DATABASE_URL alone through it: the boot migrates and serves, or exits 2 naming the direct URL", async () => {
    const { database, server } = await npmStart((db) => ({
      DATABASE_URL: bouncer.current.urlFor(db.url),
      DATABASE_POOLER: "transaction",
    }));
    const health = await firstAnswer(server);
    if (health.status === 0) {
      expect(await server.exited, server.output()).toBe(2);
      expect(server.output()).toMatch(/MIGRATIONS_DATABASE_URL/);
    } else {
      expect(health.status, server.output()).toBe(200);
      expect(await ledgerWhens(database.url)).toEqual(await journalWhens());
      expect(await burst(server)).toEqual(BURST_ANSWERS);
      expect((await get(`${server.url}/api/health`)).status).toBe(200);
    }
    expect(await advisoryLocks(database.url)).toEqual([]);
  });
});

describe("the server through PgBouncer in session mode", needs("pgbouncer"), () => {
  const bouncer = pgbouncerForFile("session");

  it("DATABASE_URL alone through it: migrates at boot, then 40 requests at once all answered", async () => {
    const { database, server } = await npmStart((db) => ({
      DATABASE_URL: bouncer.current.urlFor(db.url),
    }));
    expect((await firstAnswer(server)).status, server.output()).toBe(200);
    expect(await ledgerWhens(database.url)).toEqual(await journalWhens());

    expect(await burst(server)).toEqual(BURST_ANSWERS);
    expect((await get(`${server.url}/api/health`)).status).toBe(200);
    expect(await advisoryLocks(database.url)).toEqual([]);
  });
});
