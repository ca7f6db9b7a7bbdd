import { afterEach, describe, expect, test } from "vitest";
import { parseEnv } from "@/env";
import { MigrationError } from "@/lib/db/migrator/errors";
import type { MigratorReport } from "@/lib/db/migrator/run";
import { publishMigrationState, readMigrationState } from "@/lib/db/migrator/state";
import { type BootDependencies, bootMigrations, runBootMigrations } from "@/server/boot";
import { assertServerEnv } from "@/server/server-env";

// The migrator itself is exercised against Postgres in test/db; here its report is given, to pin
// down what boot does with each outcome.

const url = "postgres://app@db.internal:5432/app";

function report(overrides: Partial<MigratorReport> = {}): MigratorReport {
  return {
    mode: "apply",
    appliedNow: [],
    version: "0001_invites",
    pending: [],
    total: 2,
    durationMs: 12,
    connectMs: 3,
    ...overrides,
  };
}

function harness(env: Record<string, string>, outcome: () => Promise<MigratorReport>) {
  const calls = {
    modes: [] as string[],
    logs: [] as string[],
    errors: [] as string[],
    exits: [] as number[],
  };
  const deps: Partial<BootDependencies> = {
    assertServerEnv: () => assertServerEnv(parseEnv(env)),
    // The real hook rewrites every HTTP request of the process; the attack suite tests it.
    installClientAddress: () => {},
    runMigrator: (_settings, options) => {
      calls.modes.push(options.mode);
      return outcome();
    },
    log: (line) => calls.logs.push(line),
    logError: (text) => calls.errors.push(text),
    exit: (code) => calls.exits.push(code),
  };
  return { calls, deps };
}

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("agency-reporting.bootMigrations")];
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("agency-reporting.migrationState")];
});

describe("boot migrations", () => {
  test("applies by default and publishes the version as ready", async () => {
    const { calls, deps } = harness({ DATABASE_URL: url }, async () => report());

    await runBootMigrations(deps);

    expect(calls.modes).toEqual(["apply"]);
    expect(readMigrationState()).toMatchObject({
      status: "ready",
      version: "0001_invites",
      pending: [],
    });
    expect(calls.errors).toEqual([]);
    expect(calls.exits).toEqual([]);
  });

  test("with MIGRATE_ON_BOOT=false it only checks, publishes what is pending and keeps running", async () => {
    const { calls, deps } = harness({ DATABASE_URL: url, MIGRATE_ON_BOOT: "false" }, async () =>
      report({ mode: "check", version: "0000_initial", pending: ["0001_invites"] }),
    );

    await runBootMigrations(deps);

    expect(calls.modes).toEqual(["check"]);
    expect(readMigrationState()).toMatchObject({
      status: "pending",
      version: "0000_initial",
      pending: ["0001_invites"],
    });
    expect(calls.logs.join("\n")).toMatch(/^\[migrate\] .*0001_invites.*npm run db:migrate/m);
    expect(calls.exits).toEqual([]);
  });

  test("a failed migration is published as failed, printed with its details, and exits 1", async () => {
    const failure = new MigrationError(
      "MIGRATION_FAILED",
      'Migration 0001_invites.sql (statement 2 of 2) failed: relation "nope" does not exist ' +
        "(SQLSTATE 42P01)\nStatement: select * from nope",
      { tag: "0001_invites", statement: "select * from nope", sqlState: "42P01" },
    );
    const { calls, deps } = harness({ DATABASE_URL: url }, async () => {
      throw failure;
    });

    await expect(runBootMigrations(deps)).rejects.toBe(failure);

    expect(calls.exits).toEqual([1]);
    expect(readMigrationState()).toMatchObject({ status: "failed", code: "MIGRATION_FAILED" });
    const printed = calls.errors.join("\n");
    expect(printed).toContain("0001_invites.sql");
    expect(printed).toContain("Statement: select * from nope");
    expect(printed).toContain("42P01");
    for (const line of printed.split("\n")) expect(line).toMatch(/^\[migrate\] /);
  });

  test("a missing DATABASE_URL stops the boot naming the variable and its purpose", async () => {
    const { calls, deps } = harness({}, async () => report());

    await expect(runBootMigrations(deps)).rejects.toThrow(/DATABASE_URL is not set/);

    expect(calls.modes).toEqual([]);
    expect(calls.exits).toEqual([1]);
    expect(calls.errors.join("\n")).toContain(
      "DATABASE_URL is not set: it is the Postgres connection string of the app",
    );
    expect(readMigrationState()).toMatchObject({ status: "failed", code: "CONFIG" });
  });

  test("a transaction-pooler URL is refused with its own code before any connection", async () => {
    const { calls, deps } = harness(
      { DATABASE_URL: "postgres://app@db.internal:6543/app" },
      async () => report(),
    );

    await expect(runBootMigrations(deps)).rejects.toThrow(/transaction pooler/);

    expect(calls.modes).toEqual([]);
    expect(readMigrationState()).toMatchObject({ status: "failed", code: "POOLER_URL" });
  });

  test("runs once per process however often register() calls it", async () => {
    const { calls, deps } = harness({ DATABASE_URL: url }, async () => report());

    const first = bootMigrations(deps);
    const second = bootMigrations(deps);
    await Promise.all([first, second]);

    expect(second).toBe(first);
    expect(calls.modes).toEqual(["apply"]);
  });
});

describe("migration state", () => {
  test("is shared through globalThis, not module state", () => {
    publishMigrationState({ status: "starting" });
    const holder = globalThis as Record<symbol, unknown>;
    expect(holder[Symbol.for("agency-reporting.migrationState")]).toEqual({ status: "starting" });
  });
});
