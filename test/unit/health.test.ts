import { afterEach, describe, expect, test } from "vitest";
import { parseEnv } from "@/env";
import {
  checkHealth,
  forgetLedgerReading,
  type HealthDependencies,
  LEDGER_CACHE_MS,
  type LedgerReading,
} from "@/server/health";
import type { MigrationState } from "@/server/migration-state";

// The real route against a real server and database is in test/db/next-boot.test.ts and
// test/db/next-dev.test.ts; these pin down the decisions (which state answers what, who sees the
// details, how often the ledger is read).

const TOKEN = "health-token-for-the-unit-tests-0123";
const ready: MigrationState = {
  status: "ready",
  version: "0001_invites",
  pending: [],
  checkedAt: new Date(0).toISOString(),
};
const upToDate: LedgerReading = { version: "0001_invites", pending: [], ahead: 0, problems: [] };

function harness(
  state: MigrationState | undefined,
  options: { env?: Record<string, string>; reading?: () => Promise<LedgerReading> } = {},
  overrides: Partial<HealthDependencies> = {},
) {
  let now = 0;
  const calls = { reads: 0, pings: 0, logged: [] as string[] };
  const env = parseEnv({ NODE_ENV: "production", HEALTH_TOKEN: TOKEN, ...options.env });
  const deps: Partial<HealthDependencies> = {
    env: () => env,
    readState: () => state,
    pingDatabase: async () => {
      calls.pings++;
    },
    readLedger: () => {
      calls.reads++;
      return options.reading?.() ?? Promise.resolve(upToDate);
    },
    now: () => now,
    logError: (line) => calls.logged.push(line),
    ...overrides,
  };
  return {
    deps,
    calls,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const asOperator = `Bearer ${TOKEN}`;

afterEach(() => forgetLedgerReading());

describe("health", () => {
  test("up to date: 200; anonymous callers get the status alone, the token shows the version", async () => {
    const { deps } = harness(ready);

    expect(await checkHealth(null, deps)).toEqual({ httpStatus: 200, body: { status: "ok" } });
    expect(await checkHealth(asOperator, deps)).toEqual({
      httpStatus: 200,
      body: { status: "ok", version: "0001_invites", pending: [], ahead: 0 },
    });
  });

  test("a wrong token, another scheme or no HEALTH_TOKEN at all shows no details", async () => {
    const { deps } = harness(ready);
    const { deps: noToken } = harness(ready, { env: { HEALTH_TOKEN: "" } });

    for (const header of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, "Bearer ", TOKEN]) {
      expect((await checkHealth(header, deps)).body).toEqual({ status: "ok" });
    }
    expect((await checkHealth("Bearer ", noToken)).body).toEqual({ status: "ok" });
  });

  test("development shows the details to anyone", async () => {
    const { deps } = harness(ready, { env: { NODE_ENV: "development", HEALTH_TOKEN: "" } });

    expect((await checkHealth(null, deps)).body).toMatchObject({ version: "0001_invites" });
  });

  test("the database does not answer: 503; the reason goes to the log and the operator, not to anonymous callers", async () => {
    const { deps, calls } = harness(
      ready,
      {},
      {
        pingDatabase: async () => {
          throw new Error("connect ECONNREFUSED 10.0.0.5:5432 (DATABASE_URL)");
        },
      },
    );

    const anonymous = await checkHealth(null, deps);
    const operator = await checkHealth(asOperator, deps);

    expect(anonymous).toEqual({ httpStatus: 503, body: { status: "unavailable" } });
    expect(operator.body).toMatchObject({
      reason: "the database is unreachable: connect ECONNREFUSED 10.0.0.5:5432 (DATABASE_URL)",
    });
    // Logged once while the reason stays the same.
    expect(calls.logged).toEqual([
      "[health] 503: the database is unreachable: connect ECONNREFUSED 10.0.0.5:5432 (DATABASE_URL)",
    ]);
  });

  test("failed: 503 with the file, statement and SQLSTATE, without touching the database", async () => {
    const { deps, calls } = harness({
      status: "failed",
      error: 'Migration 0002_notes.sql (statement 1 of 1) failed: relation "nope" does not exist',
      code: "MIGRATION_FAILED",
      at: new Date(0).toISOString(),
      tag: "0002_notes",
      statement: "alter table nope add column x int",
      sqlState: "42P01",
    });

    const health = await checkHealth(asOperator, deps);

    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({
      failure: {
        code: "MIGRATION_FAILED",
        file: "drizzle/0002_notes.sql",
        statement: "alter table nope add column x int",
        sqlState: "42P01",
      },
    });
    expect(calls.pings + calls.reads).toBe(0);
    expect((await checkHealth(null, deps)).body).toEqual({ status: "unavailable" });
  });

  test("no state (instrumentation never ran): 503", async () => {
    expect((await checkHealth(null, harness(undefined).deps)).httpStatus).toBe(503);
  });

  test("pending: 503 listing them; the ledger is read at most once per interval", async () => {
    const { deps, calls, advance } = harness(ready, {
      reading: async () => ({ ...upToDate, version: "0000_initial", pending: ["0001_invites"] }),
    });

    const first = await checkHealth(asOperator, deps);
    advance(LEDGER_CACHE_MS - 1);
    await checkHealth(asOperator, deps);

    expect(first.httpStatus).toBe(503);
    expect(first.body).toMatchObject({ pending: ["0001_invites"], version: "0000_initial" });
    expect(first.body).toMatchObject({ reason: expect.stringContaining("npm run db:migrate") });
    expect(calls.reads).toBe(1);

    advance(1);
    await checkHealth(asOperator, deps);
    expect(calls.reads).toBe(2);
  });

  test("a newly published state is read at once, without waiting for the interval", async () => {
    let state: MigrationState = ready;
    const { deps, calls } = harness(undefined, {}, { readState: () => state });

    await checkHealth(null, deps);
    state = { ...ready, version: "0002_notes" };
    await checkHealth(null, deps);

    expect(calls.reads).toBe(2);
  });

  test("a database ahead of this build (rolling deploy) stays 200 in production and says so", async () => {
    const reading = async () => ({ ...upToDate, ahead: 1 });
    const { deps } = harness(ready, { reading });
    const { deps: dev } = harness(ready, { reading, env: { NODE_ENV: "development" } });

    expect(await checkHealth(asOperator, deps)).toEqual({
      httpStatus: 200,
      body: { status: "ok", version: "0001_invites", pending: [], ahead: 1 },
    });
    const inDevelopment = await checkHealth(null, dev);
    expect(inDevelopment.httpStatus).toBe(503);
    expect(inDevelopment.body).toMatchObject({ reason: expect.stringContaining("db:reset") });
  });

  test("concurrent probes share one ledger read", async () => {
    let release = () => {};
    const { deps, calls } = harness(ready, {
      reading: () =>
        new Promise((resolve) => {
          release = () => resolve(upToDate);
        }),
    });

    const probes = [checkHealth(null, deps), checkHealth(null, deps), checkHealth(null, deps)];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await Promise.all(probes);

    expect(calls.reads).toBe(1);
    expect(results.map((result) => result.httpStatus)).toEqual([200, 200, 200]);
  });

  test("a ledger read that fails answers 503 with why, and the next probe reads again", async () => {
    let fail = true;
    const { deps, calls } = harness(ready, {
      reading: async () => {
        if (fail) throw new Error("Migration 0000_initial.sql was changed after it was applied");
        return upToDate;
      },
    });

    const health = await checkHealth(asOperator, deps);
    fail = false;
    const next = await checkHealth(asOperator, deps);

    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({
      reason: expect.stringContaining("was changed after it was applied"),
    });
    expect(next.httpStatus).toBe(200);
    expect(calls.reads).toBe(2);
  });
});
