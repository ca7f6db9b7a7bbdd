import {
  MigrationError,
  type MigrationSet,
  type MigrationStatus,
  type MigratorReport,
} from "drizzle-boot-migrator";
import { afterEach, describe, expect, test } from "vitest";
import { parseEnv } from "@/env";
import { type BootDependencies, bootMigrations, runBootMigrations } from "@/server/boot";
import { publishMigrationState, readMigrationState } from "@/server/migration-state";

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

/** A production server unless `env` says otherwise (parseEnv's own default is development). */
function harness(env: Record<string, string>, outcome: () => Promise<MigratorReport>) {
  const calls = {
    modes: [] as string[],
    logs: [] as string[],
    errors: [] as string[],
    exits: [] as number[],
    followed: [] as (() => Promise<void>)[],
  };
  const deps: Partial<BootDependencies> = {
    readEnv: () =>
      parseEnv({
        NODE_ENV: "production",
        BETTER_AUTH_SECRET: "a-production-secret-for-the-boot-unit-tests-6d1f",
        BETTER_AUTH_URL: "https://reports.example.com",
        ...env,
      }),
    // The real hook rewrites every HTTP request of the process; the attack suite tests it.
    installClientAddress: () => {},
    runMigrator: (_settings, options) => {
      calls.modes.push(options.mode);
      return outcome();
    },
    inspectMigrations: async () => {
      throw new Error("only development looks before applying");
    },
    followFolder: async (_folders, apply) => {
      calls.followed.push(apply);
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

  test("several migration sets: each in order with its own folder and ledger; pending named <folder>/<tag>", async () => {
    const { deps } = harness({ DATABASE_URL: url, MIGRATE_ON_BOOT: "false" }, async () => report());
    const upstream = { migrationsFolder: "/app/upstream", ledger: { schema: "up", table: "m" } };
    const own = { migrationsFolder: "/app/drizzle", ledger: { schema: "drizzle", table: "m" } };
    deps.migrationSets = () => [upstream, own];
    const ran: MigrationSet[] = [];
    deps.runMigrator = async ({ migrationsFolder, ledger }) => {
      ran.push({ migrationsFolder, ledger });
      return migrationsFolder === upstream.migrationsFolder
        ? report({ version: "0003_up", pending: ["0004_up"] })
        : report({ version: "0000_own", pending: ["0001_own"] });
    };

    await runBootMigrations(deps);

    expect(ran).toEqual([upstream, own]);
    expect(readMigrationState()).toMatchObject({
      status: "pending",
      version: "0000_own",
      pending: ["/app/upstream/0004_up", "/app/drizzle/0001_own"],
    });
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
      { tag: "0001_invites" },
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

  test("with LOG_FORMAT=json a failure is one JSON object with its error code and tag", async () => {
    const failure = new MigrationError("MIGRATION_FAILED", "Migration 0001_invites.sql failed", {
      tag: "0001_invites",
    });
    const { calls, deps } = harness({ DATABASE_URL: url, LOG_FORMAT: "json" }, async () => {
      throw failure;
    });

    await expect(runBootMigrations(deps)).rejects.toBe(failure);

    expect(calls.errors).toHaveLength(1);
    expect(JSON.parse(calls.errors[0] ?? "")).toMatchObject({
      level: "error",
      event: "migrate.failed",
      code: "MIGRATION_FAILED",
      tag: "0001_invites",
      message: expect.stringContaining("Migration 0001_invites.sql failed"),
    });
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

/** What development's look before applying finds: `pending` on top of two applied migrations. */
function inspected(pending: MigrationStatus["pending"]): MigrationStatus {
  return {
    applied: [],
    pending,
    unknown: [],
    problems: [],
    warnings: [],
    version: "0001_invites",
    total: 2 + pending.length,
    target: url,
    durationMs: 1,
  };
}

describe("boot migrations where a failure must not end the process", () => {
  const failure = () =>
    new MigrationError(
      "MIGRATION_FAILED",
      "Migration 0002_notes.sql failed: boom (SQLSTATE 42P01)",
      {
        tag: "0002_notes",
        statement: "alter table nope add column x int",
        sqlState: "42P01",
      },
    );

  test("development: a failed migration is published with its file, statement and SQLSTATE; the process stays up and follows drizzle/", async () => {
    const { calls, deps } = harness({ NODE_ENV: "development", DATABASE_URL: url }, async () => {
      throw failure();
    });
    deps.inspectMigrations = async () => inspected([]);

    await runBootMigrations(deps);

    expect(calls.exits).toEqual([]);
    expect(readMigrationState()).toMatchObject({
      status: "failed",
      code: "MIGRATION_FAILED",
      tag: "0002_notes",
      statement: "alter table nope add column x int",
      sqlState: "42P01",
    });
    expect(calls.errors.join("\n")).toMatch(/answers 503 .*no restart needed/);
    expect(calls.followed).toHaveLength(1);
  });

  test("development: a migration with no SQL yet (drizzle-kit generate --custom) is not applied", async () => {
    const { calls, deps } = harness({ NODE_ENV: "development", DATABASE_URL: url }, async () =>
      report(),
    );
    deps.inspectMigrations = async () =>
      inspected([
        {
          tag: "0002_backfill",
          when: 3,
          hash: "h",
          statements: ["-- Custom SQL migration file, put your code below! --\n"],
        },
      ]);

    await runBootMigrations(deps);

    expect(calls.modes).toEqual([]);
    expect(readMigrationState()).toMatchObject({ status: "pending", pending: ["0002_backfill"] });
    expect(calls.logs.join("\n")).toContain("waiting for SQL in drizzle/0002_backfill.sql");
  });

  test("development without DATABASE_URL: the reason is published, nothing is followed, no exit", async () => {
    const { calls, deps } = harness({ NODE_ENV: "development" }, async () => report());

    await runBootMigrations(deps);

    expect(calls.exits).toEqual([]);
    expect(calls.followed).toEqual([]);
    expect(readMigrationState()).toMatchObject({
      status: "failed",
      code: "CONFIG",
      error: expect.stringContaining("DATABASE_URL is not set"),
    });
  });

  test("serverless (VERCEL=1): only checks; a failure is published and the instance stays up", async () => {
    const { calls, deps } = harness({ VERCEL: "1", DATABASE_URL: url }, async () => {
      throw failure();
    });

    await runBootMigrations(deps);

    expect(calls.modes).toEqual(["check"]);
    expect(calls.exits).toEqual([]);
    expect(calls.followed).toEqual([]);
    expect(readMigrationState()).toMatchObject({ status: "failed", code: "MIGRATION_FAILED" });
  });

  test("serverless: a migration the build step did not apply is a failure, not a pending state", async () => {
    const { calls, deps } = harness({ VERCEL: "1", DATABASE_URL: url }, async () =>
      report({ mode: "check", version: "0000_initial", pending: ["0001_invites"] }),
    );

    await runBootMigrations(deps);

    expect(calls.exits).toEqual([]);
    expect(readMigrationState()).toMatchObject({
      status: "failed",
      code: "MIGRATIONS_NOT_APPLIED",
      error: expect.stringContaining("0001_invites"),
    });
  });
});

describe("migration state", () => {
  test("is shared through globalThis, not module state", () => {
    publishMigrationState({ status: "starting" });
    const holder = globalThis as Record<symbol, unknown>;
    expect(holder[Symbol.for("agency-reporting.migrationState")]).toEqual({ status: "starting" });
  });
});
