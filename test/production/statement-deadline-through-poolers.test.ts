import type { RunningPooler } from "@tools/pooler/pooler";
import type { SystemToolName } from "@tools/system-tools";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import { appPoolOptions } from "@/lib/db";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { tenants } from "@/lib/db/schema";
import { expectCancelledAtDeadline } from "../support/deadline";
import { migratedDatabaseForFile } from "../support/migrated-database";
import { pgbouncerForFile } from "../support/pgbouncer";
import { pgpoolForFile } from "../support/pooler";
import { needs } from "../support/system-tools";

// The app pool's statement deadline (DATABASE_STATEMENT_TIMEOUT_MS, src/lib/db/statements.ts)
// through Debian's PgBouncer with its default settings and through Debian's pgpool-II as a
// session pooler, each on a plain URL. At the deadline postgres.js sends Postgres's cancel request
// to the pooler, which has to forward it to the server connection running the statement. What Postgres runs is read on the server itself (pg_stat_activity over
// the direct URL), never through the pooler.

const DEADLINE_MS = 400;
/** Far longer than the deadline and the bounds below: only a cancel ends it in time. */
const SLOW_TEXT = "select pg_sleep(5)";
const SLOW = sql.raw(SLOW_TEXT);

const database = migratedDatabaseForFile();

/** Read when a test runs: the file's database exists only then. */
const slowStatement = () => ({
  direct: database.client,
  deadlineMs: DEADLINE_MS,
  statement: SLOW_TEXT,
});

/** Sessions on the database, other than the asking one, inside a transaction. */
const openTransactions = async () => [
  ...(await database.client<{ pid: number; state: string }[]>`
    select pid, state from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`),
];

interface ThroughPooler {
  name: string;
  tool: SystemToolName;
  /** The pooler, started for the suite (called inside its describe). */
  pooler(): { readonly current: RunningPooler };
  /** What the deployment declares in DATABASE_POOLER. */
  declared: "session" | "transaction";
}

const throughPoolers: ThroughPooler[] = [
  {
    name: "PgBouncer in session mode",
    tool: "pgbouncer",
    pooler: () => pgbouncerForFile("session"),
    declared: "session",
  },
  {
    name: "PgBouncer in transaction mode",
    tool: "pgbouncer",
    pooler: () => pgbouncerForFile("transaction"),
    declared: "transaction",
  },
  {
    name: "pgpool-II (session pooler)",
    tool: "pgpool",
    pooler: pgpoolForFile,
    declared: "session",
  },
];

for (const { name, tool, pooler, declared } of throughPoolers) {
  describe(`the app pool's statement deadline through ${name}`, needs(tool), () => {
    const running = pooler();
    let app: DbConnection;

    beforeAll(() => {
      // The app's own pool, as a deployment's environment makes it (src/lib/db/index.ts).
      const env = parseEnv({
        DATABASE_URL: running.current.urlFor(database.url),
        DATABASE_POOLER: declared,
        DATABASE_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS),
        // One connection, so the statement after the cancelled one runs on the same connection.
        DATABASE_POOL_MAX: "1",
      });
      app = createDbConnection(appPoolOptions(env));
    });
    afterAll(() => app?.close());

    it("a slow statement fails with QueryDeadlineError at the deadline, Postgres stops running it, and the pool serves the next statement", async () => {
      await expectCancelledAtDeadline(app.db.execute(SLOW), slowStatement());

      // Within its own deadline, on the connection whose statement was cancelled.
      const [row] = await app.db.execute<{ one: number }>(sql`select 1 as one`);
      expect(row).toEqual({ one: 1 });
    });

    it("a transaction with a slow statement fails with QueryDeadlineError, its insert is rolled back, and the pool serves again", async () => {
      const slug = `deadline-${tool}-${declared}`;
      await expectCancelledAtDeadline(
        app.db.transaction(async (tx) => {
          await tx.insert(tenants).values({ name: "Deadline", slug });
          await tx.execute(SLOW);
        }),
        slowStatement(),
      );

      // Rolled back, not left open (an open one would hide its row too): no session on the
      // database is inside a transaction, and the row is not there.
      await expect.poll(openTransactions, { timeout: 2_000 }).toEqual([]);
      expect(await database.db.select().from(tenants).where(eq(tenants.slug, slug))).toEqual([]);

      // The pool writes again, the same unique slug included: no row or lock of the failed
      // transaction stands in the way.
      const inserted = await app.db.insert(tenants).values({ name: "After", slug }).returning();
      expect(inserted.map((tenant) => tenant.name)).toEqual(["After"]);
    });
  });
}
