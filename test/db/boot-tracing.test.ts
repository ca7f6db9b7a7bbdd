import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { registerOTel } from "@vercel/otel";
import { MIGRATION_LOCK_KEY, runMigrator } from "drizzle-boot-migrator";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { parseEnv } from "@/env";
import { createDbConnection } from "@/lib/db/client";
import type { Pool } from "@/lib/db/pool";
import { runBootMigrations } from "@/server/boot";
import { applyMigrations } from "../support/database";
import {
  emptyDatabasePerTest,
  eventually,
  type FixtureMigration,
  fixtureMigration,
  migrationLockHolders,
  migrationName,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

// A real boot (runBootMigrations with the real migrator) against a real Postgres, traced by the
// SDK the server registers (@vercel/otel) into an in-memory exporter instead of a collector.

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  registerOTel({
    serviceName: "boot-tracing-test",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});

afterEach(async () => {
  exporter.reset();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("agency-reporting.migrationState")];
  // Each boot here stands for a new server process, with a new app pool on its own database.
  const app = globalThis as { appPool?: Pool };
  await app.appPool?.close();
  delete app.appPool;
});

const db = emptyDatabasePerTest();

const migrations = [
  fixtureMigration(0, ["create table step_0 (id int)", "create index on step_0 (id)"]),
  fixtureMigration(1),
];
/** Their names as the drizzle version under test lays them out (drizzle-1-suite runs this on 1.0). */
const [FIRST, SECOND] = migrations.map(migrationName);

/** The server's boot on `url`, its migrations from `folder`; resolves with the exit codes asked for. */
async function boot(url: string, folder: string) {
  const exits: number[] = [];
  const lines: string[] = [];
  const run = runBootMigrations({
    // A production Node server: it applies and exits on failure (development would follow drizzle/).
    readEnv: () =>
      parseEnv({
        NODE_ENV: "production",
        BETTER_AUTH_SECRET: "a-production-secret-for-the-tracing-tests-41c7",
        BETTER_AUTH_URL: "https://reports.example.com",
        DATABASE_URL: url,
      }),
    runMigrator: (settings, options) =>
      runMigrator({ ...settings, migrationsFolder: folder }, options),
    log: (line) => lines.push(line),
    logError: (line) => lines.push(line),
    exit: (code) => exits.push(code),
  });
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { exits, lines, error };
}

/** The finished spans as an indented outline of names, children in start order. */
function outline(spans: ReadableSpan[]): string[] {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    const children = [...(byParent.get(parent) ?? [])].sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const child of children) {
      lines.push(`${"  ".repeat(depth)}${child.name}`);
      visit(child.spanContext().spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return lines;
}

const named = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);

describe("a traced boot", () => {
  test("on an empty database: the boot, connect, ledger read, lock wait and each migration", async () => {
    const { exits } = await boot(db.url, writeMigrationFolder(migrations));

    expect(exits).toEqual([]);
    // The check runs on the app's pool; pending work then takes the migrator's own connection.
    expect(outline(exporter.getFinishedSpans())).toEqual([
      "boot",
      "  migrate.run",
      "    migrate.connect",
      "    migrate.ledger_read",
      "    migrate.connect",
      "    migrate.ledger_read",
      "    migrate.lock_wait",
      "    migrate.migration",
      "    migrate.migration",
    ]);
    expect(named("migrate.connect").map((span) => span.attributes["migrate.connection"])).toEqual([
      "app-pool",
      undefined,
    ]);
    expect(named("migrate.migration").map((span) => span.attributes)).toEqual([
      expect.objectContaining({ "migrate.tag": FIRST, "migrate.statements": 2 }),
      expect.objectContaining({ "migrate.tag": SECOND, "migrate.statements": 1 }),
    ]);
    expect(named("migrate.run")[0]?.attributes).toMatchObject({
      "migrate.mode": "apply",
      "migrate.outcome": "applied",
      "migrate.version": SECOND,
      "migrate.applied": 2,
      "migrate.pending": 0,
    });
    expect(named("boot")[0]?.status.code).toBe(0); // UNSET: no error
  });

  test("on an up-to-date database: connect (the app pool's) and one ledger read, no lock", async () => {
    const folder = writeMigrationFolder(migrations);
    await applyMigrations(db.url, folder);
    exporter.reset();

    await boot(db.url, folder);

    expect(outline(exporter.getFinishedSpans())).toEqual([
      "boot",
      "  migrate.run",
      "    migrate.connect",
      "    migrate.ledger_read",
    ]);
    expect(named("migrate.connect")[0]?.attributes["migrate.connection"]).toBe("app-pool");
    expect(named("migrate.run")[0]?.attributes).toMatchObject({
      "migrate.outcome": "up_to_date",
      "migrate.version": SECOND,
    });
  });

  test("a lock held by another session: the wait names the holder", async () => {
    const holder = createDbConnection({
      url: db.url,
      max: 1,
      applicationName: "tracing-test:holder",
    });
    try {
      const reserved = await holder.client.reserve();
      await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      const booting = boot(db.url, writeMigrationFolder(migrations));
      await eventually("the boot waits for the lock", async () =>
        (await migrationLockHolders(db.url)).some((lock) => !lock.granted),
      );
      await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
      reserved.release();
      expect((await booting).exits).toEqual([]);
    } finally {
      await holder.close();
    }

    const [wait] = named("migrate.lock_wait");
    expect(String(wait?.attributes["migrate.lock.holder"])).toContain("tracing-test:holder");
  });

  test("a failing migration: the error code on the migration, the run and the boot", async () => {
    const broken = [
      migrations[0] as FixtureMigration,
      fixtureMigration(1, ["alter table no_such_table add x int"]),
    ];

    const { exits } = await boot(db.url, writeMigrationFolder(broken));

    expect(exits).toEqual([1]);
    const [failed] = named("migrate.migration").filter(
      (span) => span.attributes["migrate.tag"] === SECOND,
    );
    expect(failed?.status.code).toBe(2); // ERROR
    expect(failed?.attributes).toMatchObject({
      "error.type": "MIGRATION_FAILED",
      "db.response.status_code": "42P01",
    });
    for (const name of ["migrate.run", "boot"]) {
      expect(named(name)[0]?.attributes["error.type"], name).toBe("MIGRATION_FAILED");
      expect(
        named(name)[0]?.events.map((event) => event.name),
        name,
      ).toContain("exception");
    }
    expect(
      await withSql(
        db.url,
        async (sql) => (await sql`select to_regclass('public.step_0') as t`)[0]?.t,
      ),
    ).toBeNull();
  });
});
