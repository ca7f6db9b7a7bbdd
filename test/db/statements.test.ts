import { inspect } from "node:util";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { sessions, tenants } from "@/lib/db/schema";
import { QueryDeadlineError, REDACTED_PARAMETER } from "@/lib/db/statements";
import { migratedDatabaseForFile } from "../support/migrated-database";

// What the app pool does around statements (src/lib/db/statements.ts), against a real Postgres:
// the deadline (DATABASE_STATEMENT_TIMEOUT_MS) and parameters kept out of errors.

const database = migratedDatabaseForFile();
const DEADLINE_MS = 400;
let app: DbConnection;

beforeAll(() => {
  app = createDbConnection({
    url: database.url,
    max: 1,
    applicationName: "deadline-tests",
    statementTimeoutMs: DEADLINE_MS,
  });
});
afterAll(() => app?.close());

/** How long `work` took to fail, and why: drizzle wraps the driver's error as its `cause`. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await work.then(
    () => undefined,
    (caught: unknown) => (caught as { cause?: unknown }).cause ?? caught,
  );
  return { ms: performance.now() - started, error };
}

const running = async () =>
  database.client<{ query: string }[]>`
    select query from pg_stat_activity
    where application_name = 'deadline-tests' and query like '%pg_sleep%' and state = 'active'`;

describe("a statement past its deadline", () => {
  it("fails at the deadline, and Postgres stops running it", async () => {
    const { ms, error } = await timed(app.db.execute(sql`select pg_sleep(5)`));
    expect(error).toBeInstanceOf(QueryDeadlineError);
    expect((error as Error).message).toMatch(/did not answer within 400 ms/);
    expect(ms).toBeLessThan(DEADLINE_MS + 1_000);
    await expect.poll(running, { timeout: 2_000 }).toEqual([]);
  });

  it("waiting for a busy pool's connection fails at its own deadline instead of piling up", async () => {
    const holder = timed(app.db.execute(sql`select pg_sleep(5)`));
    const queued = await timed(app.db.select().from(tenants));
    expect(queued.error).toBeInstanceOf(QueryDeadlineError);
    expect(queued.ms).toBeLessThan(DEADLINE_MS + 1_000);
    expect((await holder).error).toBeInstanceOf(QueryDeadlineError);
    await expect.poll(running, { timeout: 2_000 }).toEqual([]);
  });

  it("in a transaction, fails it and rolls back what it wrote", async () => {
    const slug = `deadline-${Date.now()}`;
    const { error } = await timed(
      app.db.transaction(async (tx) => {
        await tx.insert(tenants).values({ name: "Deadline", slug });
        await tx.execute(sql`select pg_sleep(5)`);
      }),
    );
    expect(error, String(error)).toBeInstanceOf(QueryDeadlineError);
    const rows = await database.client`select 1 from tenants where slug = ${slug}`;
    expect(rows).toHaveLength(0);
  });
});

it("keeps a failed statement's parameters (a session token) out of the error and its log", async () => {
  const token = `secret-session-token-${Date.now()}`;
  const failing = app.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.token, token), sql`1 / 0 = 1`));
  const error = await failing.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(String(error)).toMatch(/Failed query/);
  expect(String(error)).toContain(REDACTED_PARAMETER);
  expect(inspect(error, { depth: 10 })).not.toContain(token);
});

it("leaves statements that answer in time alone, in every drizzle form", async () => {
  const [tenant] = await app.db
    .insert(tenants)
    .values({ name: "In time", slug: `in-time-${Date.now()}` })
    .returning();
  expect(tenant?.name).toBe("In time");
  const rows = await app.db.transaction((tx) => tx.select().from(tenants));
  expect(rows.map((row) => row.id)).toContain(tenant?.id);
  expect(await app.db.query.tenants.findFirst()).toBeDefined();
});
