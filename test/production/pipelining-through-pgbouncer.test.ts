import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "@/lib/db/pool";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { withSql } from "../support/migrator";
import { pgbouncerForFile } from "../support/pgbouncer";
import { expectBurstsAnswered, outcome } from "../support/statement-burst";
import { needs } from "../support/system-tools";

// Why a burst of requests wedged the app's pool behind a transaction pooler, and that the pool no
// longer does it (docs/deployment.md, "Why a transaction pooler wedged the pool"). Debian's
// PgBouncer in transaction mode with fewer server connections than clients, so clients wait for
// one, as a serverless fleet's do.

const LOCK_HELD_MS = 300;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await withSql(database.url, (sql) => sql`create table locked_while_parsing (n int)`);
});
afterAll(() => database?.drop());

/**
 * A statement without parameters and one with, sent at once on one connection: postgres.js writes
 * the second behind the first. With prepared statements off, a statement with parameters goes out
 * as Parse, Describe and Flush, without a Sync, and waits for the parameter types. A session on
 * the database itself holds a lock on the table the second one reads, so its Parse answers
 * `LOCK_HELD_MS` after the first statement's end, whatever the machine's load (otherwise both
 * answers may reach PgBouncer in one read, and it forwards them before releasing the server).
 */
async function pairOnOneConnection(sql: postgres.Sql): Promise<string[]> {
  let locked: () => void = () => {};
  let unlock: () => void = () => {};
  const lockTaken = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = withSql(database.url, (direct) =>
    direct.begin(async (tx) => {
      await tx`lock table locked_while_parsing in access exclusive mode`;
      locked();
      await new Promise<void>((resolve) => {
        unlock = resolve;
      });
    }),
  );
  await lockTaken;
  const outcomes = Promise.all([
    outcome(sql`select 1`),
    outcome(sql`select ${1}::int as one from locked_while_parsing`),
  ]);
  await sleep(LOCK_HELD_MS);
  unlock();
  await holder;
  return outcomes;
}

describe("PgBouncer in transaction mode, 2 server connections", needs("pgbouncer"), () => {
  const bouncer = pgbouncerForFile("transaction", { defaultPoolSize: 2 });

  describe("postgres.js alone (the reproduction to report upstream)", () => {
    const clients: postgres.Sql[] = [];
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 1 })));
    });
    const client = (url: string) => {
      const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
      clients.push(sql);
      return sql;
    };

    it("through PgBouncer in transaction mode the pipelined statement never gets its answer, and PgBouncer drops the server connection", async () => {
      const sql = client(bouncer.current.urlFor(database.url));
      await sql`select 1`;
      expect(await pairOnOneConnection(sql)).toEqual(["answered", "no answer"]);
      expect(bouncer.current.log()).toMatch(/server got dirty/);
    });

    it("on a direct connection both are answered", async () => {
      const sql = client(database.url);
      await sql`select 1`;
      expect(await pairOnOneConnection(sql)).toEqual(["answered", "answered"]);
    });
  });

  describe("the app's pool (createPool) through PgBouncer in transaction mode", () => {
    const pools: Pool[] = [];
    afterEach(async () => {
      await Promise.all(pools.splice(0).map((pool) => pool.close()));
    });
    const pool = (options: { max: number; transactionPooler?: boolean }) => {
      const created = createPool({ url: bouncer.current.urlFor(database.url), ...options });
      pools.push(created);
      return created.client;
    };

    it.each([
      ["undeclared (a plain URL)", undefined],
      ["declared (DATABASE_POOLER=transaction)", true],
    ])(
      "%s: the same pair on its one connection are both answered",
      async (_, transactionPooler) => {
        const sql = pool({ max: 1, transactionPooler });
        await sql`select 1`;
        expect(await pairOnOneConnection(sql)).toEqual(["answered", "answered"]);
      },
    );

    it("five bursts of 60 statements and transactions on 4 connections are all answered, and the pool answers at once afterwards", async () => {
      await expectBurstsAnswered(pool({ max: 4 }), 4);
    });
  });
});
