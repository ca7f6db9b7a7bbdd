import { describe, expect, test } from "vitest";
import type { MigrationState } from "@/lib/db/migrator/state";
import { checkHealth, type HealthDependencies, PENDING_RECHECK_INTERVAL_MS } from "@/server/health";

// The real route against a real server and database is in test/db/next-boot.test.ts; these pin
// down the decisions (which state answers what, how often pending migrations are re-read).

const t0 = new Date("2026-01-01T00:00:00.000Z");

function harness(initial: MigrationState | undefined, overrides: Partial<HealthDependencies> = {}) {
  let state = initial;
  let now = t0;
  const calls = { checks: 0, pings: 0 };
  const deps: Partial<HealthDependencies> = {
    readState: () => state,
    publishState: (next) => {
      state = next;
    },
    pingDatabase: async () => {
      calls.pings++;
    },
    checkMigrations: async () => {
      calls.checks++;
      return { version: "0000_initial", pending: ["0001_invites"] };
    },
    now: () => now,
    ...overrides,
  };
  return {
    deps,
    calls,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    state: () => state,
  };
}

const pending: MigrationState = {
  status: "pending",
  version: "0000_initial",
  pending: ["0001_invites"],
  checkedAt: t0.toISOString(),
};

describe("health", () => {
  test("ready and the database answers: 200 with the version and 0 pending", async () => {
    const { deps } = harness({
      status: "ready",
      version: "0001_invites",
      pending: [],
      checkedAt: t0.toISOString(),
    });

    expect(await checkHealth(deps)).toEqual({
      httpStatus: 200,
      body: { status: "ok", version: "0001_invites", pending: 0 },
    });
  });

  test("ready but the database does not answer: 503 saying so", async () => {
    const { deps } = harness(
      { status: "ready", version: "0001_invites", pending: [], checkedAt: t0.toISOString() },
      {
        pingDatabase: async () => {
          throw new Error("connect ECONNREFUSED 10.0.0.5:5432");
        },
      },
    );

    const health = await checkHealth(deps);

    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({
      reason: "the database is unreachable: connect ECONNREFUSED 10.0.0.5:5432",
    });
  });

  test("failed: 503 with the migrator's code, without touching the database", async () => {
    const { deps, calls } = harness({
      status: "failed",
      error: "Migration 0001_invites.sql failed",
      code: "MIGRATION_FAILED",
      at: t0.toISOString(),
    });

    const health = await checkHealth(deps);

    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({ code: "MIGRATION_FAILED" });
    expect(calls.pings).toBe(0);
  });

  test("no state (instrumentation never ran): 503", async () => {
    expect((await checkHealth(harness(undefined).deps)).httpStatus).toBe(503);
  });

  test("pending: 503 listing them; the ledger is re-read at most once per interval", async () => {
    const { deps, calls, advance } = harness(pending);

    const first = await checkHealth(deps);
    advance(PENDING_RECHECK_INTERVAL_MS - 1);
    await checkHealth(deps);

    expect(first.httpStatus).toBe(503);
    expect(first.body).toMatchObject({ pending: ["0001_invites"], version: "0000_initial" });
    expect(first.body).toMatchObject({ reason: expect.stringContaining("npm run db:migrate") });
    expect(calls.checks).toBe(0);

    advance(1);
    await checkHealth(deps);
    expect(calls.checks).toBe(1);
  });

  test("pending, then applied by a release step: turns 200 without a restart", async () => {
    const { deps, advance, state } = harness(pending, {
      checkMigrations: async () => ({ version: "0001_invites", pending: [] }),
    });
    advance(PENDING_RECHECK_INTERVAL_MS);

    const health = await checkHealth(deps);

    expect(health).toEqual({
      httpStatus: 200,
      body: { status: "ok", version: "0001_invites", pending: 0 },
    });
    expect(state()).toMatchObject({ status: "ready", version: "0001_invites" });
  });

  test("concurrent probes share one re-check", async () => {
    let release = () => {};
    const { deps, calls, advance } = harness(pending, {
      checkMigrations: () =>
        new Promise((resolve) => {
          calls.checks++;
          release = () => resolve({ version: "0001_invites", pending: [] });
        }),
    });
    advance(PENDING_RECHECK_INTERVAL_MS);

    const probes = [checkHealth(deps), checkHealth(deps), checkHealth(deps)];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await Promise.all(probes);

    expect(calls.checks).toBe(1);
    expect(results.map((result) => result.httpStatus)).toEqual([200, 200, 200]);
  });

  test("a re-check that fails answers 503 with why, and waits a full interval to retry", async () => {
    const { deps, calls, advance } = harness(pending, {
      checkMigrations: async () => {
        calls.checks++;
        throw new Error("Migration 0000_initial.sql was changed after it was applied");
      },
    });
    advance(PENDING_RECHECK_INTERVAL_MS);

    const health = await checkHealth(deps);
    await checkHealth(deps);

    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({
      reason: expect.stringContaining("was changed after it was applied"),
    });
    expect(calls.checks).toBe(1);
  });
});
