import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { type EmbeddedServer, startEmbeddedPostgres } from "@tools/database-source/embedded";
import { postgresRunAs } from "@tools/database-source/postgres-user";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { runBootMigrations } from "@/server/boot";
import { checkHealth, type DetailedHealthBody } from "@/server/health";
import { applyMigrations } from "../support/database";
import {
  emptyDatabasePerTest,
  eventually,
  type FixtureMigration,
  migrationFile,
  migrationName,
  noTransactionMigration,
  runMigratorCli,
  startBoot,
  withSql,
  writeBootDirectory,
  writeMigrationFolder,
} from "../support/migrator";
import { TEST_DRIVER } from "../support/migrator-driver";
import { type Standby, startStandby } from "../support/standby";
import { needs, onlyWhere } from "../support/system-tools";

const oneTable = [
  { tag: "0000_first", when: 1_700_000_000_000, statements: ["create table t (id int)"] },
];

/** `url` with `changes` applied to its user, password, port or query. */
function withUrl(url: string, changes: (parsed: URL) => void): string {
  const parsed = new URL(url);
  changes(parsed);
  return parsed.toString();
}

/**
 * `db:migrate` against `url`, which must fail with `code` on its first attempt although it may
 * retry for 45 s; returns its stderr. The bound on the time leaves room for a tsx process that
 * starts slowly on a loaded machine (20 s was once not enough, at a load of 28 on 2 cores).
 */
async function failsAtOnce(url: string, code: string): Promise<string> {
  const started = performance.now();
  const result = await runMigratorCli("migrate", {
    url,
    folder: writeMigrationFolder(oneTable),
    env: { MIGRATION_CONNECT_WAIT_MS: "45000" },
  });
  expect(result.code, result.output).toBe(1);
  expect(result.stdout).not.toContain("not reachable");
  expect(result.stderr).toContain(`failed (${code})`);
  expect(performance.now() - started).toBeLessThan(40_000);
  return result.stderr;
}

/** A throwaway embedded cluster with `settings`, stopped after the describe's tests. */
function embeddedServer(settings: () => Promise<Record<string, string>> | Record<string, string>) {
  let server: EmbeddedServer | undefined;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ fast: true, settings: await settings() });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error("the embedded server exists only in tests");
      return server;
    },
  };
}

/**
 * Neon's serverless driver sends no Postgres TLS request whatever `sslmode` says
 * (`neonConfig.forceDisablePgSSL`, on by default): its TLS is the WebSocket's (`wss:` to Neon's
 * proxy). The sslmode tests below are about Postgres's own TLS.
 */
const POSTGRES_TLS = onlyWhere(
  TEST_DRIVER !== "neon",
  "Neon's serverless driver leaves TLS to its WebSocket (wss:) and ignores sslmode",
);

describe("a role without privileges (Postgres 15 or newer: public is the owner's)", () => {
  const db = emptyDatabasePerTest();
  const role = `migrator_no_priv_${randomBytes(4).toString("hex")}`;
  const password = randomBytes(8).toString("hex");
  const asRole = () =>
    withUrl(db.url, (url) => {
      url.username = role;
      url.password = password;
    });

  // A role belongs to the whole server: made for each test's database, and gone with it.
  beforeEach(async () => {
    await withSql(db.url, (sql) => sql.unsafe(`create role ${role} login password '${password}'`));
  });
  afterEach(async () => {
    await withSql(db.url, (sql) => sql.unsafe(`drop owned by ${role}; drop role ${role}`));
  });

  it("names the role, the database and the GRANT when it may not create drizzle's schema", async () => {
    const database = new URL(db.url).pathname.slice(1);
    const result = await runMigratorCli("migrate", {
      url: asRole(),
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (INSUFFICIENT_PRIVILEGE)");
    expect(result.stderr).toContain(`permission denied for database ${database} (SQLSTATE 42501)`);
    expect(result.stderr).toContain('Statement: CREATE SCHEMA IF NOT EXISTS "drizzle"');
    expect(result.stderr).toContain(
      `The role "${role}" may not do this on database ${database}. ` +
        "The pending migrations' transaction was rolled back: nothing of it was applied. " +
        `Grant it: GRANT CREATE ON DATABASE "${database}" TO "${role}"; or run the migrations as the role that owns the database.`,
    );
    expect(result.stderr).toContain(
      "See https://www.npmjs.com/package/drizzle-boot-migrator#insufficient_privilege",
    );
  });

  it("names the role and the GRANT when it may not even connect", async () => {
    const database = new URL(db.url).pathname.slice(1);
    await withSql(db.url, (sql) =>
      sql.unsafe(`revoke connect on database "${database}" from public`),
    );
    const stderr = await failsAtOnce(asRole(), "INSUFFICIENT_PRIVILEGE");
    expect(stderr).toContain(`permission denied for database "${database}" (SQLSTATE 42501)`);
    expect(stderr).toContain(
      `The role "${role}" may not connect to database "${database}". Grant it: GRANT CONNECT ON ` +
        `DATABASE "${database}" TO "${role}"; or set MIGRATIONS_DATABASE_URL to a role that may ` +
        "connect (the owner's, for migrations).",
    );
  });

  it("db:status shows the role and where it may not create, before a deploy", async () => {
    const result = await runMigratorCli("status", {
      url: asRole(),
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/^server: {3}PostgreSQL 1[5-9]\./m);
    expect(result.stdout).toContain(
      `role:     ${role}; may create in drizzle (to be created) NO, public NO`,
    );
    expect(result.stdout).toContain("target:   read-write");
    expect(result.stdout).toContain("tls:      not in use");
    expect(result.stdout).toContain("pooler:   DATABASE_URL: not declared, none recognised");
  });

  it("with LOG_FORMAT=json, the role and the refused object are fields of the failure", async () => {
    const result = await runMigratorCli("migrate", {
      url: asRole(),
      folder: writeMigrationFolder(oneTable),
      env: { LOG_FORMAT: "json" },
    });
    expect(result.code, result.output).toBe(1);
    const failed = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((event) => event.event === "migrate.failed");
    expect(failed).toMatchObject({
      code: "INSUFFICIENT_PRIVILEGE",
      sqlState: "42501",
      role,
      object: `database ${new URL(db.url).pathname.slice(1)}`,
      host: expect.stringMatching(/^127\.0\.0\.1:\d+\//),
    });
  });

  it("names the ledger's schema when it may not even read the ledger", async () => {
    const folder = writeMigrationFolder(oneTable);
    // The owner's migration, in this process (db:migrate's code path); the role's run is the CLI's.
    await expect(applyMigrations(db.url, folder)).resolves.toBeUndefined();
    const result = await runMigratorCli("migrate", { url: asRole(), folder });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (INSUFFICIENT_PRIVILEGE): Reading the ledger failed:");
    expect(result.stderr).toContain("permission denied for schema drizzle (SQLSTATE 42501)");
    expect(result.stderr).toContain(
      `The role "${role}" may not do this on schema drizzle. Nothing was applied. ` +
        `Grant it: GRANT USAGE, CREATE ON SCHEMA "drizzle" TO "${role}";`,
    );
  });

  it("explains Postgres 15's public schema when it may not create a table there", async () => {
    const database = new URL(db.url).pathname.slice(1);
    await withSql(db.url, (sql) => sql.unsafe(`grant create on database "${database}" to ${role}`));
    const result = await runMigratorCli("migrate", {
      url: asRole(),
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (INSUFFICIENT_PRIVILEGE)");
    expect(result.stderr).toContain(
      `Migration ${migrationFile(oneTable[0] as FixtureMigration)} (statement 1 of 1) failed`,
    );
    expect(result.stderr).toContain("Statement: create table t (id int)");
    expect(result.stderr).toContain(
      `The role "${role}" may not do this on schema public. ` +
        "The pending migrations' transaction was rolled back: nothing of it was applied. " +
        `Grant it: GRANT USAGE, CREATE ON SCHEMA "public" TO "${role}"; or run the migrations as ` +
        "the role that owns the database. Since Postgres 15 only the database owner " +
        "(pg_database_owner) may create in schema public; before 15 every role could.",
    );
  });
});

describe("a read-only target", () => {
  const db = emptyDatabasePerTest();
  const readOnly = async () => {
    const database = new URL(db.url).pathname.slice(1);
    await withSql(db.url, (sql) =>
      sql.unsafe(`alter database "${database}" set default_transaction_read_only = on`),
    );
  };

  it("says it is a read-only endpoint and that migrations need the primary (CLI)", async () => {
    await readOnly();
    const result = await runMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (READ_ONLY_TARGET)");
    expect(result.stderr).toContain("read-only transaction (SQLSTATE 25006)");
    expect(result.stderr).toMatch(
      /\(MIGRATIONS_DATABASE_URL\) is a read-only endpoint \(default_transaction_read_only is on\): migrations need the primary\. The pending migrations' transaction was rolled back: nothing of it was applied\. Point MIGRATIONS_DATABASE_URL at the primary\./,
    );
  });

  it("says the same for a migration that runs outside a transaction", async () => {
    await readOnly();
    const migration = noTransactionMigration(0, ["create table nt (id int)"]);
    const result = await runMigratorCli("migrate", {
      url: db.url,
      folder: writeMigrationFolder([migration]),
    });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(
      `failed (READ_ONLY_TARGET): Migration ${migrationFile(migration)} (statement 1 of 1, ` +
        "outside a transaction) failed: cannot execute CREATE TABLE in a read-only transaction",
    );
    expect(result.stderr).toContain(
      `migrations need the primary. ${migrationName(migration)} runs outside a transaction: its ` +
        "statements before this one stay applied, it is not recorded, and the next run repeats " +
        "it. Point MIGRATIONS_DATABASE_URL at the primary.",
    );
  });

  it("says the same at boot, where it names the app's URL and exits with code 1", async () => {
    await readOnly();
    const result = await startBoot(db.url, writeBootDirectory(oneTable)).exited;
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (READ_ONLY_TARGET)");
    expect(result.stderr).toMatch(
      /\(DATABASE_URL\) is a read-only endpoint \(default_transaction_read_only is on\): migrations need the primary\. The pending migrations' transaction was rolled back: nothing of it was applied\. Set MIGRATIONS_DATABASE_URL to the primary's direct URL \(the app may keep DATABASE_URL\)\./,
    );
    expect(result.stderr).toContain("exiting with code 1");
  });

  it("where the policy serves 503, /api/health with HEALTH_TOKEN reports the code, facts and advice", async () => {
    await readOnly();
    const token = "health-token-for-the-wrong-target-test";
    // DATABASE_URL names the same database another way, so boot opens no app pool to close.
    const env = parseEnv({
      NODE_ENV: "development",
      MIGRATIONS_DATABASE_URL: db.url,
      DATABASE_URL: withUrl(db.url, (url) => url.searchParams.set("application_name", "app")),
      HEALTH_TOKEN: token,
    });
    const errors: string[] = [];
    await runBootMigrations({
      readEnv: () => env,
      installClientAddress: () => {},
      migrationSets: () => [
        { migrationsFolder: writeMigrationFolder(oneTable), ledger: MIGRATIONS },
      ],
      followFolder: async () => {},
      log: () => {},
      logError: (text) => errors.push(text),
      exit: (code) => {
        throw new Error(`development serves 503, it must not exit (${code})`);
      },
    });
    expect(errors.join("\n")).toContain("failed (READ_ONLY_TARGET)");

    const health = await checkHealth(`Bearer ${token}`, { env: () => env, logError: () => {} });
    expect(health.httpStatus).toBe(503);
    expect(health.body).toMatchObject({
      status: "unavailable",
      failure: {
        code: "READ_ONLY_TARGET",
        sqlState: "25006",
        facts: { host: expect.stringMatching(/:\d+\//), standby: false },
      },
    });
    expect((health.body as DetailedHealthBody).reason).toContain(
      "is a read-only endpoint (default_transaction_read_only is on): migrations need the " +
        "primary. The pending migrations' transaction was rolled back: nothing of it was applied. Point MIGRATIONS_DATABASE_URL at the primary.",
    );
  });
});

describe("a streaming standby", () => {
  const primary = embeddedServer(() => ({}));
  let standby: Standby | undefined;
  beforeAll(async () => {
    standby = await startStandby(primary.server);
  }, 60_000);
  afterAll(async () => {
    await standby?.stop();
  });

  it("db:status shows it is a standby", async () => {
    const result = await runMigratorCli("status", {
      url: standby?.url ?? "",
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("target:   a standby (read-only)");
  });

  it("says it is a standby and that migrations need the primary", async () => {
    const url = standby?.url ?? "";
    expect(await withSql(url, (sql) => sql`select pg_is_in_recovery() as standby`)).toEqual([
      { standby: true },
    ]);
    await withSql(primary.server.adminUrl, (sql) => sql`create table streamed (id int)`);
    await eventually("the standby has the primary's new table", () =>
      withSql(url, async (sql) => (await sql`select to_regclass('streamed') as t`)[0]?.t !== null),
    );
    const result = await runMigratorCli("migrate", {
      url,
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("failed (READ_ONLY_TARGET)");
    expect(result.stderr).toContain("read-only transaction (SQLSTATE 25006)");
    expect(result.stderr).toMatch(
      /\(MIGRATIONS_DATABASE_URL\) is a standby \(a read replica in recovery\): migrations need the primary\. The pending migrations' transaction was rolled back: nothing of it was applied\. Point MIGRATIONS_DATABASE_URL at the primary\./,
    );
  });
});

describe("a server with few connections and no TLS", () => {
  const cluster = embeddedServer(() => ({
    max_connections: "3",
    superuser_reserved_connections: "0",
  }));

  it("fails at once when the URL requires TLS (sslmode=require)", POSTGRES_TLS, async () => {
    const stderr = await failsAtOnce(
      withUrl(cluster.server.adminUrl, (url) => url.searchParams.set("sslmode", "require")),
      "TLS_MISMATCH",
    );
    // Each driver says in its own words that the server answered its TLS request with no.
    const refusal = {
      postgres: "Client network socket disconnected before secure TLS connection was established",
      pg: "The server does not support SSL connections",
    }[TEST_DRIVER as "postgres" | "pg"];
    expect(stderr).toContain(
      `(MIGRATIONS_DATABASE_URL) does not offer TLS, and MIGRATIONS_DATABASE_URL requires it (${refusal}). Retrying cannot fix this`,
    );
  });

  it("retries while its connections are used up, then names max_connections and the pool sizes", async () => {
    const holders = postgres(cluster.server.adminUrl, { max: 3 });
    try {
      const held = await Promise.all([0, 1, 2].map(() => holders.reserve()));
      const result = await runMigratorCli("migrate", {
        url: cluster.server.adminUrl,
        folder: writeMigrationFolder(oneTable),
        // Long enough for a second attempt on a loaded machine, where one attempt alone has
        // taken over 1.5 s.
        env: { MIGRATION_CONNECT_WAIT_MS: "5000", DATABASE_POOL_MAX: "7" },
      });
      for (const connection of held) connection.release();
      expect(result.code, result.output).toBe(1);
      expect(result.stdout).toMatch(/not reachable \(attempt 1: .*\(SQLSTATE 53300\)\); retrying/);
      expect(result.stderr).toContain("failed (SERVER_FULL)");
      expect(result.stderr).toMatch(
        /still had no free connection slot after [2-9]\d* attempt\(s\) in \d+\.\d s \(MIGRATION_CONNECT_WAIT_MS=5000\): .*\(SQLSTATE 53300\)\. Its max_connections are used up .* DATABASE_POOL_MAX=7 connections, and the migrator one more/,
      );
    } finally {
      await holders.end();
    }
  });

  // Last: it shuts the server down.
  it("retries while it shuts down (57P03), then says so", async () => {
    const holder = postgres(cluster.server.adminUrl, { max: 1 });
    try {
      await holder`select 1`;
      // SIGTERM is a smart shutdown: the server waits for open sessions and refuses new ones.
      process.kill(cluster.server.pid, "SIGTERM");
      const result = await runMigratorCli("migrate", {
        url: cluster.server.adminUrl,
        folder: writeMigrationFolder(oneTable),
        env: { MIGRATION_CONNECT_WAIT_MS: "1500" },
      });
      expect(result.code, result.output).toBe(1);
      expect(result.stderr).toContain("failed (SERVER_NOT_READY)");
      expect(result.stderr).toMatch(
        /was still starting up, shutting down or in recovery after \d+ attempt\(s\) .*\(SQLSTATE 57P03\)\. Wait for it/,
      );
    } finally {
      await holder.end();
    }
  });
});

describe("a server that accepts only TLS", needs("openssl"), () => {
  let certificates: string | undefined;
  const cluster = embeddedServer(async () => {
    certificates = await mkdtemp(path.join(tmpdir(), "migrator-tls-"));
    const file = (name: string) => path.join(certificates as string, name);
    await promisify(execFile)("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-keyout", file("server.key"), "-out", file("server.crt")],
      // postgres.js gives Node no server name for an IP address, and Node then checks the
      // certificate against "localhost".
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ]);
    await writeFile(file("pg_hba.conf"), "hostssl all all 127.0.0.1/32 scram-sha-256\n");
    // Postgres reads these as its own user, and refuses a key others may read.
    const runAs = await postgresRunAs();
    for (const name of ["", "server.key", "server.crt", "pg_hba.conf"]) {
      if (runAs) await chown(file(name), runAs.uid, runAs.gid);
    }
    return {
      ssl: "on",
      ssl_cert_file: file("server.crt"),
      ssl_key_file: file("server.key"),
      hba_file: file("pg_hba.conf"),
    };
  });
  afterAll(async () => {
    if (certificates) await rm(certificates, { recursive: true, force: true });
  });

  it("fails at once when the URL asks for no TLS, with the sslmode advice", async () => {
    const stderr = await failsAtOnce(cluster.server.adminUrl, "TLS_MISMATCH");
    expect(stderr).toMatch(
      /\(MIGRATIONS_DATABASE_URL\) accepts only TLS connections and MIGRATIONS_DATABASE_URL asked for none: .*no encryption \(SQLSTATE 28000\)\. Add sslmode=require \(or verify-full with the server's CA\) to MIGRATIONS_DATABASE_URL\./,
    );
  });

  it(
    "fails at once when sslmode=verify-full does not trust its certificate",
    POSTGRES_TLS,
    async () => {
      const stderr = await failsAtOnce(
        withUrl(cluster.server.adminUrl, (url) => url.searchParams.set("sslmode", "verify-full")),
        "TLS_MISMATCH",
      );
      expect(stderr).toContain(
        "offers TLS, but MIGRATIONS_DATABASE_URL asks to verify its certificate (sslmode=verify-full " +
          "or verify-ca) and Node does not trust it: self-signed certificate " +
          "(DEPTH_ZERO_SELF_SIGNED_CERT). Give Node the CA that signed it (NODE_EXTRA_CA_CERTS=",
      );
    },
  );

  it("db:status shows TLS in use with sslmode=require", async () => {
    const result = await runMigratorCli("status", {
      url: withUrl(cluster.server.adminUrl, (url) => url.searchParams.set("sslmode", "require")),
      folder: writeMigrationFolder(oneTable),
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("tls:      in use");
  });

  it(
    "migrates with sslmode=require, and with verify-full once Node trusts the certificate",
    POSTGRES_TLS,
    async () => {
      const folder = writeMigrationFolder(oneTable);
      const encrypted = await runMigratorCli("migrate", {
        url: withUrl(cluster.server.adminUrl, (url) => url.searchParams.set("sslmode", "require")),
        folder,
      });
      expect(encrypted.code, encrypted.output).toBe(0);
      const verified = await runMigratorCli("migrate", {
        url: withUrl(cluster.server.adminUrl, (url) =>
          url.searchParams.set("sslmode", "verify-full"),
        ),
        folder,
        env: { NODE_EXTRA_CA_CERTS: path.join(certificates ?? "", "server.crt") },
      });
      expect(verified.code, verified.output).toBe(0);
      expect(verified.stdout).toContain("is up to date");
    },
  );
});
