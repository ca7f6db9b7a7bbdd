import { performance } from "node:perf_hooks";
import { startPgBouncer } from "@tools/pooler/pgbouncer";
import { locateSystemTool } from "@tools/system-tools";
import pg from "pg";
import postgres from "postgres";
import { createPool } from "@/lib/db/pool";
import { startLatencyProxy } from "../../test/support/latency-proxy";
import { summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";

/**
 * Scenario: bursts of concurrent requests on a pool of 10, each request what the app's requests
 * do to the database (a session read with a parameter, a transaction that writes and reads, a
 * health `select 1`), through three pools:
 * - `gated`: the app's pool (`createPool`: one statement or transaction per connection);
 * - `pipelining`: postgres.js as the app's pool was before, free to pipeline;
 * - `pg`: node-postgres's Pool, the other candidate (it never pipelines).
 * Directly (through a relay adding a 1 ms round trip, as across a data centre's network; on
 * loopback round trips cost nothing and would hide a driver's extra one), through PgBouncer in
 * transaction mode with 5 server connections, and with 20 (configuration as the fix). A request
 * without an answer within `LOST_AFTER_MS` counts as lost.
 */
const POOL_SIZE = 10;
const CONCURRENCY = 60;
const REQUESTS = 600;
/** `--quick` only checks that the scenario works: a wedged pool loses each request after 3 s. */
const QUICK_REQUESTS = 120;
const ROUND_TRIP_MS = 1;
const LOST_AFTER_MS = 3_000;

/** What a pool must do for the bench: a parameterised statement, and a transaction. */
interface BenchPool {
  query(text: string, parameters: unknown[]): Promise<unknown>;
  transaction(work: (query: BenchPool["query"]) => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const pools: Record<string, (url: string) => BenchPool> = {
  gated: (url) => {
    const pool = createPool({ url, max: POOL_SIZE });
    return postgresPool(pool.client, () => pool.close());
  },
  pipelining: (url) => {
    const sql = postgres(url, { max: POOL_SIZE, prepare: false, onnotice: () => {} });
    return postgresPool(sql, () => sql.end({ timeout: 1 }));
  },
  pg: (url) => {
    const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
    pool.on("error", () => {});
    return {
      query: (text, parameters) => pool.query(text, parameters),
      async transaction(work) {
        const client = await pool.connect();
        try {
          await client.query("begin");
          const result = await work((text, parameters) => client.query(text, parameters));
          await client.query("commit");
          return result;
        } catch (error) {
          await client.query("rollback").catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  },
};

function postgresPool(sql: postgres.Sql, close: () => Promise<void>): BenchPool {
  return {
    // drizzle's form: unsafe() with parameters, never prepared.
    query: (text, parameters) => sql.unsafe(text, parameters as never[]),
    transaction: (work) =>
      sql.begin((tx) => work((text, parameters) => tx.unsafe(text, parameters as never[]))),
    close,
  };
}

/** The n-th request: the three kinds in turn. */
function request(pool: BenchPool, n: number): Promise<unknown> {
  switch (n % 3) {
    case 0:
      return pool.query("select id from bench_sessions where token = $1", [`token-${n % 50}`]);
    case 1:
      return pool.transaction(async (query) => {
        await query("insert into bench_sessions (token) values ($1)", [`token-${n}`]);
        return query("select count(*) from bench_sessions where token = $1", [`token-${n}`]);
      });
    default:
      return pool.query("select 1", []);
  }
}

interface BurstFigures {
  perSecond: number;
  /** Of the answered requests; undefined when none was. */
  p99: number | undefined;
  lost: number;
}

/** `requests` requests, `CONCURRENCY` at a time, on a fresh pool. */
async function measure(
  makePool: (url: string) => BenchPool,
  url: string,
  requests: number,
): Promise<BurstFigures> {
  const pool = makePool(url);
  const latencies: number[] = [];
  let lost = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const n = next++;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        request(pool, n).then(
          () => true,
          () => false,
        ),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), LOST_AFTER_MS);
        }),
      ]);
      clearTimeout(timer);
      if (answered) latencies.push(performance.now() - started);
      else lost++;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    // A wedged pool never ends its connections by itself.
    await Promise.race([pool.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
  return { perSecond: latencies.length / seconds, p99, lost };
}

async function rowsFor(
  context: BenchContext,
  topology: string,
  url: string,
  variants: string[],
): Promise<BenchRow[]> {
  const figures = Object.fromEntries(variants.map((name) => [name, [] as BurstFigures[]]));
  for (let run = 0; run < context.runs(5); run++) {
    for (const name of variants) {
      const pool = pools[name];
      if (!pool) throw new Error(`no pool ${name}`);
      const result = await measure(pool, url, context.runs(REQUESTS, QUICK_REQUESTS));
      context.log(`${topology}.${name}: ${JSON.stringify(result)}`);
      figures[name]?.push(result);
    }
  }
  return variants.flatMap((name) => {
    const runs = figures[name] ?? [];
    const p99s = runs.flatMap((run) => (run.p99 === undefined ? [] : [run.p99]));
    return [
      {
        key: `${topology}.${name}.per-second`,
        measurement: summarize(
          runs.map((run) => run.perSecond),
          "requests/s",
        ),
      },
      ...(p99s.length === 0
        ? []
        : [{ key: `${topology}.${name}.p99`, measurement: summarize(p99s, "ms") }]),
      {
        key: `${topology}.${name}.lost`,
        measurement: summarize(
          runs.map((run) => run.lost),
          "requests",
        ),
        note: `no answer within ${LOST_AFTER_MS} ms`,
      },
    ];
  });
}

export const poolPipelining: Scenario = {
  name: "pool-pipelining",
  title: `The app's pool under bursts: ${REQUESTS} requests (--quick: ${QUICK_REQUESTS}), ${CONCURRENCY} at a time, pool of ${POOL_SIZE}`,
  async run(context) {
    return withBenchDatabase(context.adminUrl, "pipelining", async (database) => {
      const setup = postgres(database.url, { max: 1, onnotice: () => {} });
      await setup`create table bench_sessions (id serial primary key, token text not null)`;
      await setup.end();

      const relay = await startLatencyProxy(database.url, ROUND_TRIP_MS);
      const rows: BenchRow[] = [];
      try {
        rows.push(...(await rowsFor(context, "direct", relay.url, ["gated", "pipelining", "pg"])));
      } finally {
        await relay.close();
      }
      if (!locateSystemTool("pgbouncer", process.env)) {
        context.log("pool-pipelining: PgBouncer is not installed, so only the direct rows");
        return rows;
      }
      // PgBouncer's default of 20 server connections, above the pool's 10: configuration as the
      // candidate fix for the pool that pipelines.
      for (const [topology, defaultPoolSize, variants] of [
        ["pgbouncer", 5, ["gated", "pipelining", "pg"]],
        ["pgbouncer-20", 20, ["pipelining"]],
      ] as const) {
        const bouncer = await startPgBouncer({
          upstreamUrl: context.adminUrl,
          poolMode: "transaction",
          defaultPoolSize,
        });
        try {
          const url = bouncer.urlFor(database.url);
          rows.push(...(await rowsFor(context, topology, url, [...variants])));
        } finally {
          await bouncer.stop();
        }
      }
      return rows;
    });
  },
};
