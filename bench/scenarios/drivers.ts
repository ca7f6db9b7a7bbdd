import { PGlite } from "@electric-sql/pglite";
import type { MigratorDriver } from "drizzle-boot-migrator";
import { pgDriver } from "drizzle-boot-migrator/pg";
import { neonDriverViaProxy } from "../../test/support/neon-test-driver";
import { pointNeonAtProxy, startNeonWsProxy } from "../../test/support/neon-ws-proxy";
import { interleave, paired, summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { pgliteMigrators, plainNeon, plainPg } from "../support/driver-migrators";
import { appMigrationsFolder } from "../support/fixtures";
import { type MigrateTiming, type MigrateVariant, oursOn, plain } from "../support/migrators";
import { measureHandoff } from "./lock-handoff";

interface DriverUnderTest {
  /** The key prefix. */
  name: "postgres" | "pg" | "neon";
  /** The migrator's session on it; postgres.js, the default, when absent. */
  driver?: () => MigratorDriver;
  /** drizzle-orm's own `migrate()` on the same driver. */
  plain: MigrateVariant;
  /**
   * The hand-off's migration time: Neon's driver computes SCRAM's 4,096 HMAC rounds one awaited
   * Web Crypto call at a time, and 8 waiters connecting at once on a busy 2-core machine took over
   * a second to queue.
   */
  handoffMigrationSeconds: number;
}

/**
 * The up-to-date boot check and the lock hand-off on each driver the migrator supports, side by
 * side with drizzle-orm's `migrate()` on the same driver: postgres.js, node-postgres (a `Client`
 * of its own per run) and Neon's serverless `Pool` through a local WebSocket-to-TCP proxy (Neon's
 * setup for local development; its own hop adds to both sides alike). Then the boot check on an
 * in-memory PGlite instance, where the hand-off does not apply.
 */
export const drivers: Scenario = {
  name: "drivers",
  title:
    "Boot check and lock hand-off per driver (postgres.js, pg, Neon via a local proxy, PGlite)",
  async run(context) {
    const proxy = await startNeonWsProxy();
    try {
      pointNeonAtProxy(proxy.port);
      const underTest: DriverUnderTest[] = [
        { name: "postgres", plain, handoffMigrationSeconds: 1 },
        { name: "pg", driver: () => pgDriver(), plain: plainPg, handoffMigrationSeconds: 1 },
        {
          name: "neon",
          driver: () => neonDriverViaProxy(proxy.port),
          plain: plainNeon,
          handoffMigrationSeconds: 3,
        },
      ];
      const rows: BenchRow[] = [];
      for (const subject of underTest) {
        context.log(`[bench] drivers: ${subject.name}`);
        rows.push(...(await bootCheckOn(context, subject)));
        const handoff = await measureHandoff(context, context.runs(5), {
          ...(subject.driver ? { driver: subject.driver } : {}),
          migrationSeconds: subject.handoffMigrationSeconds,
        });
        rows.push(...handoff.map((row) => ({ ...row, key: `${subject.name}.handoff.${row.key}` })));
      }
      context.log("[bench] drivers: pglite");
      rows.push(...(await bootCheckOnPglite(context)), {
        key: "pglite.handoff",
        doesNotApply:
          "one in-process session per instance: nothing waits on the lock (pgliteDriver runs one migrator at a time)",
      });
      return rows;
    } finally {
      await proxy.close();
    }
  },
};

async function bootCheckOn(context: BenchContext, subject: DriverUnderTest): Promise<BenchRow[]> {
  return withBenchDatabase(context.adminUrl, `drivers_${subject.name}`, async (database) => {
    const rows = await compareBootChecks(
      context,
      database.url,
      oursOn(subject.driver),
      subject.plain,
    );
    return rows.map((row) => ({ ...row, key: `${subject.name}.${row.key}` }));
  });
}

/**
 * The same on one in-memory PGlite instance (started once: about 10 s on a busy machine). Nothing
 * connects, so the after-connect rows would repeat the totals.
 */
async function bootCheckOnPglite(context: BenchContext): Promise<BenchRow[]> {
  const db = await PGlite.create();
  try {
    const { ours, plain: plainPglite } = pgliteMigrators(db);
    const rows = await compareBootChecks(context, "pglite://bench", ours, plainPglite, {
      connects: false,
    });
    return rows.map((row) => ({ ...row, key: `pglite.${row.key}` }));
  } finally {
    await db.close();
  }
}

/**
 * Brings the database up to date with `ours`, then times both checks, interleaved; the
 * after-connect rows only where a connection is opened.
 */
async function compareBootChecks(
  context: BenchContext,
  url: string,
  ours: MigrateVariant,
  plainVariant: MigrateVariant,
  { connects } = { connects: true },
): Promise<BenchRow[]> {
  await ours(url, appMigrationsFolder);
  const samples = await interleave(
    {
      ours: () => ours(url, appMigrationsFolder),
      plain: () => plainVariant(url, appMigrationsFolder),
    },
    { runs: context.runs(50, 2), warmup: context.warmup(3) },
  );
  const totals = (timings: MigrateTiming[]) => timings.map((t) => t.totalMs);
  const after = (timings: MigrateTiming[]) => timings.map((t) => t.afterConnectMs);
  const rows: BenchRow[] = [
    { key: "ours", measurement: summarize(totals(samples.ours), "ms") },
    { key: "plain", measurement: summarize(totals(samples.plain), "ms") },
    {
      key: "ratio.ours/plain",
      measurement: summarize(
        paired(totals(samples.ours), totals(samples.plain), (x, y) => x / y),
        "×",
      ),
      note: "per-round ratios; target < 1",
      atMost: 1,
    },
  ];
  if (!connects) return rows;
  return [
    ...rows,
    { key: "ours.after-connect", measurement: summarize(after(samples.ours), "ms") },
    { key: "plain.after-connect", measurement: summarize(after(samples.plain), "ms") },
  ];
}
