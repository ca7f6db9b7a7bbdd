import { inspect } from "node:util";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import { appPoolOptions } from "@/lib/db";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { sessions, tenants } from "@/lib/db/schema";
import { CANCEL_GRACE_MS, QueryDeadlineError, REDACTED_PARAMETER } from "@/lib/db/statements";
import { startBlackHoleProxy } from "../support/black-hole-proxy";
import { expectCancelledAtDeadline, timedFailure } from "../support/deadline";
import { migratedDatabaseForFile } from "../support/migrated-database";

// What the app pool does around statements (src/lib/db/statements.ts), against a real Postgres:
// the deadline (DATABASE_STATEMENT_TIMEOUT_MS), parameters kept out of errors, and the
// development hint on a missing column or table.

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

describe("a statement past its deadline", () => {
  it("fails at the deadline, and Postgres stops running it", async () => {
    await expectCancelledAtDeadline(app.db.execute(sql`select pg_sleep(5)`), {
      direct: database.client,
      deadlineMs: DEADLINE_MS,
      statement: "select pg_sleep(5)",
    });
  });

  it("waiting for a busy pool's connection fails at its own deadline instead of piling up", async () => {
    // A transaction keeps the pool's one connection to itself while its callback waits, with no
    // statement running (so no deadline of its own frees it); postgres.js would otherwise
    // pipeline the next statement onto the busy connection instead of queueing it.
    let holding!: () => void;
    const connectionTaken = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const holder = app.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      holding();
      await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 4));
    });
    await connectionTaken;
    const queued = await timedFailure(app.db.select().from(tenants));
    expect(queued.error).toBeInstanceOf(QueryDeadlineError);
    expect(queued.ms).toBeLessThan(DEADLINE_MS + 1_000);
    // The holder's statements each answered in time, so it commits and says so, however long
    // the whole transaction took.
    await expect(holder).resolves.toBeUndefined();
    // The pool serves again once the transaction is over: the queued statement left no debris.
    await expect(app.db.select().from(tenants)).resolves.toEqual([]);
  });

  it("in a transaction, fails it and rolls back what it wrote", async () => {
    const slug = `deadline-${Date.now()}`;
    const { error } = await timedFailure(
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

describe("a connection that stops answering (its network path broke)", () => {
  // Longer than the cancel's grace (CANCEL_GRACE_MS), so the statement after the lost one has time
  // to run on a new connection within its own deadline.
  const LOST_DEADLINE_MS = 2 * CANCEL_GRACE_MS;

  /**
   * The app's pool with one connection through a proxy, that connection open, then its path cut
   * (new connections still pass).
   */
  async function withLostConnection(test: (pool: DbConnection) => Promise<void>) {
    const proxy = await startBlackHoleProxy(database.url);
    const pool = createDbConnection({
      url: proxy.url,
      max: 1,
      applicationName: "lost-connection-tests",
      statementTimeoutMs: LOST_DEADLINE_MS,
    });
    try {
      await pool.db.execute(sql`select 1`);
      proxy.blackHole({ onlyOpenConnections: true });
      await test(pool);
    } finally {
      await pool.close();
      await proxy.close();
    }
  }

  it("a statement on it fails at its deadline, and the next statement runs on a new connection", async () => {
    await withLostConnection(async (pool) => {
      const { error } = await timedFailure(pool.db.execute(sql`select 1`));
      expect(error, String(error)).toBeInstanceOf(QueryDeadlineError);

      const started = performance.now();
      await expect(pool.db.select().from(tenants)).resolves.toEqual([]);
      expect(performance.now() - started).toBeLessThan(LOST_DEADLINE_MS);
    });
  });

  it("a transaction on it fails, and the next transaction commits on a new connection", async () => {
    await withLostConnection(async (pool) => {
      const { error } = await timedFailure(
        pool.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
        }),
      );
      expect(error, String(error)).toBeInstanceOf(QueryDeadlineError);

      const slug = `after-lost-${Date.now()}`;
      await pool.db.transaction(async (tx) => {
        await tx.insert(tenants).values({ name: "After a lost connection", slug });
      });
      const rows = await database.client`select 1 from tenants where slug = ${slug}`;
      expect(rows).toHaveLength(1);
    });
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

describe("a statement on a column or table the database lacks", () => {
  const missingColumn = sql`select not_created_yet from tenants`;
  const missingTable = sql`select * from not_created_yet`;

  /** Postgres's message (drizzle's cause) for each statement, through the app's pool. */
  async function messages(nodeEnv: "development" | "production", statements: SQL[]) {
    const env = parseEnv({ NODE_ENV: nodeEnv, DATABASE_URL: database.url });
    const pool = createDbConnection({ ...appPoolOptions(env), max: 1 });
    try {
      const reasons: string[] = [];
      for (const statement of statements) {
        const { error } = await timedFailure(pool.db.execute(statement));
        reasons.push((error as Error).message);
      }
      return reasons;
    } finally {
      await pool.close();
    }
  }

  it("in development, Postgres's message says no migration created it and gives the command", async () => {
    const [column, table] = await messages("development", [missingColumn, missingTable]);

    expect(column).toMatch(/^column "not_created_yet" does not exist \(SQLSTATE 42703\): /);
    expect(table).toMatch(/^relation "not_created_yet" does not exist \(SQLSTATE 42P01\): /);
    for (const message of [column, table]) {
      expect(message).toContain(
        "the schema in src/lib/db/schema uses it, but no migration has created it in this database",
      );
      expect(message).toContain("npm run db:generate -- --name <what-changed>");
    }
  });

  it("in production, the message is Postgres's own", async () => {
    expect(await messages("production", [missingColumn, missingTable])).toEqual([
      'column "not_created_yet" does not exist',
      'relation "not_created_yet" does not exist',
    ]);
  });

  it("in development, other failures keep Postgres's message", async () => {
    expect(await messages("development", [sql`select 1 / 0`])).toEqual(["division by zero"]);
  });
});
