import path from "node:path";
import { ConfigError, PoolerUrlError } from "drizzle-boot-migrator";
import { UsageError } from "drizzle-boot-migrator/cli";
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import { appCliOptions, migratorSettingsFromEnv } from "@/lib/db/migrator-settings";

const DIRECT = "postgres://app:secret@db.internal:5432/app";
const settings = (vars: Record<string, string>) => migratorSettingsFromEnv(parseEnv(vars));

describe("which URL the migrator uses", () => {
  it("takes the first set of MIGRATIONS_DATABASE_URL, DATABASE_URL_UNPOOLED, POSTGRES_URL_NON_POOLING, DATABASE_URL", () => {
    const all = {
      MIGRATIONS_DATABASE_URL: "postgres://m@h:5432/d",
      DATABASE_URL_UNPOOLED: "postgres://u@h:5432/d",
      POSTGRES_URL_NON_POOLING: "postgres://n@h:5432/d",
      DATABASE_URL: "postgres://a@h:5432/d",
    };
    expect(settings(all)).toMatchObject({
      url: all.MIGRATIONS_DATABASE_URL,
      urlVariable: "MIGRATIONS_DATABASE_URL",
    });
    const { MIGRATIONS_DATABASE_URL: _m, ...three } = all;
    expect(settings(three)).toMatchObject({
      url: three.DATABASE_URL_UNPOOLED,
      urlVariable: "DATABASE_URL_UNPOOLED",
    });
    const { DATABASE_URL_UNPOOLED: _u, ...two } = three;
    expect(settings(two)).toMatchObject({
      url: two.POSTGRES_URL_NON_POOLING,
      urlVariable: "POSTGRES_URL_NON_POOLING",
    });
    expect(settings({ DATABASE_URL: all.DATABASE_URL })).toMatchObject({
      urlVariable: "DATABASE_URL",
    });
  });

  it("chooses the direct URL when the app's URL is a pooler and both are set", () => {
    const neon = settings({
      DATABASE_URL:
        "postgres://app:pw@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb",
      DATABASE_URL_UNPOOLED:
        "postgres://app:pw@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb",
    });
    expect(neon).toMatchObject({ urlVariable: "DATABASE_URL_UNPOOLED" });
    expect(neon.url).not.toContain("-pooler");

    const supabase = settings({
      DATABASE_URL:
        "postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?pgbouncer=true",
      POSTGRES_URL_NON_POOLING:
        "postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
    });
    expect(supabase).toMatchObject({ urlVariable: "POSTGRES_URL_NON_POOLING" });
  });

  it.each([
    [
      "pgbouncer=true",
      "postgres://u:p@pgbouncer.internal:6432/app?pgbouncer=true",
      "pgbouncer=true",
    ],
    [
      "Supabase's port 6543",
      "postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
      "port 6543",
    ],
    [
      "a Neon -pooler host",
      "postgres://u:p@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb",
      "-pooler",
    ],
  ])("refuses a transaction pooler (%s), naming the variable to set", (_name, url, reason) => {
    const attempt = () => settings({ DATABASE_URL: url });
    expect(attempt).toThrow(PoolerUrlError);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(reason);
    expect(attempt).toThrow(
      /^DATABASE_URL looks like a transaction pooler .* Set MIGRATIONS_DATABASE_URL \(or DATABASE_URL_UNPOOLED\) to a direct connection/,
    );
  });

  it("asks to change MIGRATIONS_DATABASE_URL itself when that is the pooler", () => {
    expect(() =>
      settings({ MIGRATIONS_DATABASE_URL: "postgres://u:p@h:6543/d", DATABASE_URL: DIRECT }),
    ).toThrow("Change MIGRATIONS_DATABASE_URL to a direct connection");
  });

  it("accepts Supabase's session pooler (port 5432) and Neon's direct host", () => {
    expect(() =>
      settings({
        DATABASE_URL: "postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
      }),
    ).not.toThrow();
    expect(() =>
      settings({
        DATABASE_URL: "postgres://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb",
      }),
    ).not.toThrow();
  });

  it("fails naming every variable when none is set", () => {
    expect(() => settings({})).toThrow(ConfigError);
    expect(() => settings({})).toThrow(
      "No database URL for migrations: set MIGRATIONS_DATABASE_URL, DATABASE_URL_UNPOOLED, POSTGRES_URL_NON_POOLING, DATABASE_URL",
    );
  });
});

describe("migrator settings", () => {
  it("has documented defaults", () => {
    expect(settings({ DATABASE_URL: DIRECT })).toEqual({
      url: DIRECT,
      urlVariable: "DATABASE_URL",
      migrationsFolder: path.join(process.cwd(), "drizzle"),
      ledger: { schema: "drizzle", table: "__drizzle_migrations" },
      lockWaitMs: 120_000,
      lockTimeoutMs: 5_000,
      lockTimeoutRetries: 5,
      statementTimeoutMs: 300_000,
      idleInTransactionTimeoutMs: 30_000,
      idleSessionTimeoutMs: 30_000,
      noTransactionStatementTimeoutMs: 3_600_000,
      connectWaitMs: 30_000,
      appPoolMax: 10,
      allowUnknownApplied: false,
      applicationName: "agency-reporting:migrator",
      requiredPostgres: { major: 15, reason: expect.stringContaining("UNIQUE NULLS NOT DISTINCT") },
      names: expect.objectContaining({
        lockWaitMs: "MIGRATION_LOCK_WAIT_MS",
        statusCommand: "npm run db:status",
      }),
    });
  });

  it("reads each setting from its variable, and overrides win", () => {
    const env = parseEnv({
      DATABASE_URL: DIRECT,
      MIGRATION_LOCK_WAIT_MS: "1000",
      MIGRATION_LOCK_TIMEOUT_MS: "2000",
      MIGRATION_LOCK_TIMEOUT_RETRIES: "3",
      MIGRATION_STATEMENT_TIMEOUT_MS: "4000",
      MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS: "6000",
      MIGRATION_IDLE_SESSION_TIMEOUT_MS: "6500",
      MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS: "4500",
      MIGRATION_CONNECT_WAIT_MS: "5000",
      MIGRATION_ALLOW_UNKNOWN_APPLIED: "true",
    });
    expect(migratorSettingsFromEnv(env, { migrationsFolder: "/x", lockWaitMs: 7 })).toMatchObject({
      migrationsFolder: "/x",
      lockWaitMs: 7,
      lockTimeoutMs: 2000,
      lockTimeoutRetries: 3,
      statementTimeoutMs: 4000,
      idleInTransactionTimeoutMs: 6000,
      idleSessionTimeoutMs: 6500,
      noTransactionStatementTimeoutMs: 4500,
      connectWaitMs: 5000,
      allowUnknownApplied: true,
    });
  });

  it("checks an overriding URL for poolers too", () => {
    expect(() =>
      migratorSettingsFromEnv(parseEnv({ DATABASE_URL: DIRECT }), { url: "postgres://u@h:6543/d" }),
    ).toThrow(PoolerUrlError);
  });
});

describe("the ledger flags of db:migrate and db:status", () => {
  const sets = (args: string[]) => appCliOptions(args, "usage", [], { url: DIRECT }).sets;
  const ledger = (args: string[]) => sets(args).map((set) => set.ledger)[0];

  it("default to migrations-config.ts, and each flag overrides its half", () => {
    expect(ledger([])).toEqual({ schema: "drizzle", table: "__drizzle_migrations" });
    expect(ledger(["--migrations-schema", "App Ledger"])).toEqual({
      schema: "App Ledger",
      table: "__drizzle_migrations",
    });
    expect(
      ledger(["--migrations-table", "app_migrations", "--migrations-schema", "public"]),
    ).toEqual({ schema: "public", table: "app_migrations" });
  });

  it("refuse an empty name as a usage error", () => {
    expect(() => ledger(["--migrations-table", ""])).toThrow(UsageError);
    expect(() => ledger(["--migrations-schema", ""])).toThrow("--migrations-schema needs a name");
  });

  it("name several sets by position, each with its own ledger", () => {
    const args = ["--migrations-folder", "upstream", "--migrations-table", "upstream_migrations"];
    expect(sets([...args, "--migrations-folder", "drizzle", "--migrations-table", "t"])).toEqual([
      {
        migrationsFolder: path.resolve("upstream"),
        ledger: { schema: "drizzle", table: "upstream_migrations" },
      },
      { migrationsFolder: path.resolve("drizzle"), ledger: { schema: "drizzle", table: "t" } },
    ]);
    expect(() => sets([...args, "--migrations-folder", "drizzle"])).toThrow(
      "--migrations-table is given 1 time(s) for 2 set(s)",
    );
    expect(() => sets(["--migrations-folder", "a", "--migrations-folder", "b"])).toThrow(
      "several --migrations-folder need a --migrations-table each",
    );
  });
});
