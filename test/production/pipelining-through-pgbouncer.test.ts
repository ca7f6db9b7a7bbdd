import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "@/lib/db/pool";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { pgbouncerForFile } from "../support/pgbouncer";
import { needs } from "../support/system-tools";

// Why a burst of requests wedged the app's pool behind a transaction pooler, and that the pool no
// longer does it (docs/deployment.md, "Why a transaction pooler wedged the pool"). Debian's
// PgBouncer in transaction mode with fewer server connections than clients, so clients wait for
// one, as a serverless fleet's do.

/** Long enough for any answer on a loaded machine; a lost reply never comes. */
const ANSWER_WITHIN_MS = 5_000;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

/** "answered" or "no answer", never waiting longer than `ANSWER_WITHIN_MS`. */
function outcome(statement: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("no answer"), ANSWER_WITHIN_MS);
  });
  return Promise.race([
    statement.then(
      () => "answered",
      (error: unknown) => `failed: ${String(error)}`,
    ),
    noAnswer,
  ]).finally(() => clearTimeout(timer));
}

/**
 * A statement without parameters and one with, sent at once on one connection: postgres.js writes
 * the second behind the first. With prepared statements off, a statement with parameters goes out
 * as Parse, Describe and Flush, without a Sync, and waits for the parameter types.
 */
const pairOnOneConnection = (sql: postgres.Sql) =>
  Promise.all([outcome(sql`select 1`), outcome(sql`select ${1}::int as one`)]);

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
      const sql = pool({ max: 4 });
      const mixed = (n: number) =>
        n % 3 === 0
          ? sql.begin(async (tx) => {
              await tx`select ${n}::int`;
              await tx`select 1`;
            })
          : n % 3 === 1
            ? sql`select 1`
            : sql.unsafe("select $1::int as n, $2::text as label", [n, `request ${n}`]);
      for (let round = 1; round <= 5; round++) {
        const outcomes = await Promise.all(Array.from({ length: 60 }, (_, n) => outcome(mixed(n))));
        expect(
          outcomes.filter((result) => result !== "answered"),
          `burst ${round}`,
        ).toEqual([]);
      }
      for (let n = 0; n < 4; n++) expect(await outcome(sql`select ${n}::int`)).toBe("answered");
    });
  });
});
