import type { PoolMode } from "@tools/pooler/pgbouncer";
import { readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, MIGRATIONS_FOLDER, type TestDatabase } from "../support/database";
import { ledgerWhens } from "../support/migrator";
import {
  type BuiltApp,
  buildAppCopy,
  get,
  installProductionCopy,
  type ServerProcess,
  startServer,
} from "../support/next-app";
import { advisoryLocks, pgbouncerForFile } from "../support/pgbouncer";
import {
  burst,
  burstActors,
  burstTenantCount,
  REQUEST_KINDS,
  send,
} from "../support/request-burst";
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
  // The bursts send each request from its own address, as a proxy on loopback would, and sign
  // their admin up.
  const server = await startServer("npm start", host.dir, {
    BETTER_AUTH_TRUSTED_PROXIES: "127.0.0.1, ::1",
    SIGN_UP_ENABLED: "true",
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

/** Behind the pooler tests' statement deadline: slow answers on a loaded machine are not failures. */
const BURST_STATEMENT_TIMEOUT_MS = "30000";
/** Well inside that deadline: an answer after the load that took longer waited for something. */
const QUICK_MS = 5_000;

/**
 * `bursts` bursts of 60 concurrent requests mixing every kind that reaches the database (sign-in,
 * session read, health, an authenticated page, an admin action that writes), each answered as a
 * working server answers; then one request of each kind in turn, each answered quickly; and every
 * admin write committed once.
 */
async function expectBurstsServed(server: ServerProcess, database: TestDatabase, bursts: number) {
  const target = { url: server.url, databaseUrl: database.url };
  const actors = await burstActors(target);
  const problems: string[] = [];
  for (let round = 1; round <= bursts; round++) {
    for (const answered of await burst(target, actors, round)) {
      if (answered.problem) problems.push(`burst ${round}, ${answered.kind}: ${answered.problem}`);
    }
  }
  expect(problems, server.output().slice(-4000)).toEqual([]);
  for (const [n, kind] of REQUEST_KINDS.entries()) {
    const answered = await send(target, actors, kind, `after-${n}`);
    expect(answered.problem, kind).toBeUndefined();
    expect(answered.ms, kind).toBeLessThan(QUICK_MS);
  }
  const writesPerBurst = 60 / REQUEST_KINDS.length;
  expect(await burstTenantCount(target)).toBe(bursts * writesPerBurst + 1);
}

async function journalWhens(): Promise<number[]> {
  return readJournal(MIGRATIONS_FOLDER).entries.map((entry) => entry.when);
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

/** Five bursts after a boot, with `env` from the suite's topology. */
async function expectBootThenBursts(env: (database: TestDatabase) => Record<string, string>) {
  const { database, server } = await npmStart((db) => ({
    ...env(db),
    DATABASE_STATEMENT_TIMEOUT_MS: BURST_STATEMENT_TIMEOUT_MS,
  }));
  expect((await firstAnswer(server)).status, server.output()).toBe(200);
  expect(await ledgerWhens(database.url)).toEqual(await journalWhens());

  await expectBurstsServed(server, database, 5);
  expect(await advisoryLocks(database.url)).toEqual([]);
}

const BURST_TEST =
  "migrates at boot, answers five bursts of 60 mixed requests without a failure, then answers at once";

describe("the production server directly", () => {
  it(BURST_TEST, () => expectBootThenBursts((db) => ({ DATABASE_URL: db.url })));
});

// Session mode needs a server connection per app connection: PgBouncer's default pool of 20 is
// above the app's pool of 10. Transaction mode runs with fewer server connections than the app's
// pool, so clients wait for one, as a serverless fleet's do.
describe.each<[string, PoolMode, number | undefined, Record<string, string>]>([
  ["session mode, migrating through it", "session", undefined, {}],
  [
    "transaction mode, declared (DATABASE_POOLER=transaction)",
    "transaction",
    5,
    { DATABASE_POOLER: "transaction" },
  ],
  ["transaction mode, undeclared (a plain URL)", "transaction", 5, {}],
])(
  "the production server through PgBouncer in %s",
  needs("pgbouncer"),
  (_, mode, size, declared) => {
    const bouncer = pgbouncerForFile(mode, { defaultPoolSize: size });
    it(BURST_TEST, () =>
      expectBootThenBursts((db) => ({
        DATABASE_URL: bouncer.current.urlFor(db.url),
        ...declared,
        ...(mode === "transaction" ? { MIGRATIONS_DATABASE_URL: db.url } : {}),
      })),
    );
  },
);

describe(
  "the production server through PgBouncer in transaction mode, DATABASE_URL alone",
  needs("pgbouncer"),
  () => {
    const bouncer = pgbouncerForFile("transaction", { defaultPoolSize: 5 });
    it("migrates at boot and serves a burst, or exits 2 naming the direct URL", async () => {
      const { database, server } = await npmStart((db) => ({
        DATABASE_URL: bouncer.current.urlFor(db.url),
        DATABASE_POOLER: "transaction",
        DATABASE_STATEMENT_TIMEOUT_MS: BURST_STATEMENT_TIMEOUT_MS,
      }));
      const health = await firstAnswer(server);
      if (health.status === 0) {
        expect(await server.exited, server.output()).toBe(2);
        expect(server.output()).toMatch(/MIGRATIONS_DATABASE_URL/);
      } else {
        expect(health.status, server.output()).toBe(200);
        expect(await ledgerWhens(database.url)).toEqual(await journalWhens());
        await expectBurstsServed(server, database, 1);
      }
      expect(await advisoryLocks(database.url)).toEqual([]);
    });
  },
);
