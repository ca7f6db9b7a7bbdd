import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { startLatencyProxy } from "../../test/support/latency-proxy";
import { get, startServer } from "../../test/support/next-app";
import { interleave, paired, summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { checkCostRows, RELAY_ROUND_TRIP_MS } from "../support/check-cost";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { loggedTotalMs, ours } from "../support/migrators";
import { cpuTimeMs } from "../support/processes";
import { roundTrips } from "../support/round-trips";

const standaloneDir = path.join(process.cwd(), ".next/standalone");
const READY_DEADLINE_MS = 60_000;

/**
 * Scenario 4: from spawning the standalone server to its first 200 on `/api/health`, on an
 * up-to-date database, with MIGRATE_ON_BOOT on (fast path of "apply") and off (read-only "check").
 * Next holds requests until `register()` resolves, so the first 200 marks the end of the boot check.
 */
export const serverReadiness: Scenario = {
  name: "server-readiness",
  title: "Standalone server: spawn → first 200 on /api/health (up-to-date database)",
  async run(context) {
    await ensureStandaloneBuild(context);
    return withBenchDatabase(context.adminUrl, "readiness", async (database) => {
      await ours(database.url, appMigrationsFolder);
      const startOnce = (migrateOnBoot: boolean) => () =>
        timeToHealthy({
          DATABASE_URL: database.url,
          MIGRATE_ON_BOOT: String(migrateOnBoot),
          // Production refuses to start without a real-looking secret.
          BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
          BETTER_AUTH_URL: "http://127.0.0.1:3000",
        });
      const samples = await interleave(
        { on: startOnce(true), off: startOnce(false) },
        { runs: context.runs(20), warmup: context.warmup(1) },
      );
      const total = (runs: Readiness[]) => runs.map((run) => run.totalMs);
      const held = (runs: Readiness[]) => runs.map((run) => run.heldMs);
      const difference = paired(total(samples.on), total(samples.off), (on, off) => on - off);
      const migrator = (runs: Readiness[]) =>
        runs.flatMap((run) => (run.migratorMs === undefined ? [] : [run.migratorMs]));
      const heldNote = "of which the answered request waited (register() + the route)";
      const migratorNote = "of which the boot migrator took, by its own log line";
      const rows: BenchRow[] = [
        { key: "migrate-on-boot", measurement: summarize(total(samples.on), "ms") },
        {
          key: "migrate-on-boot.held",
          measurement: summarize(held(samples.on), "ms"),
          note: heldNote,
        },
        ...optionalRow("migrate-on-boot.migrator", migrator(samples.on), migratorNote),
        {
          key: "check-only",
          measurement: summarize(total(samples.off), "ms"),
          note: "MIGRATE_ON_BOOT=false",
        },
        { key: "check-only.held", measurement: summarize(held(samples.off), "ms"), note: heldNote },
        ...optionalRow("check-only.migrator", migrator(samples.off), migratorNote),
        {
          key: "difference",
          measurement: summarize(difference, "ms"),
          note: "per-round on − off; target ≤ 20 ms",
          atMost: 20,
        },
      ];
      const migratorOn = migrator(samples.on);
      const migratorOff = migrator(samples.off);
      if (migratorOn.length === samples.on.length && migratorOff.length === samples.off.length) {
        rows.push({
          key: "difference.migrator",
          measurement: summarize(
            paired(migratorOn, migratorOff, (on, off) => on - off),
            "ms",
          ),
          note: "the same, from the migrator's log lines: what MIGRATE_ON_BOOT changes, without Next's noise",
        });
      }
      return [...rows, ...(await checkCostOverNetwork(context, database.url))];
    });
  },
};

/**
 * What the boot check adds to a cold start against a database one relay round trip away: the
 * same build started as shipped ("check") and with a `register()` that only marks the migrations
 * as checked ("no-check"), both answering their first `/api/health` through the app's pool.
 */
async function checkCostOverNetwork(context: BenchContext, url: string): Promise<BenchRow[]> {
  const proxy = await startLatencyProxy(url, RELAY_ROUND_TRIP_MS);
  const noCheck = await copyWithoutBootCheck(standaloneDir);
  try {
    const startOnce = (dir: string) => async () => {
      const before = proxy.connections();
      const readiness = await timeToHealthy(
        {
          DATABASE_URL: proxy.url,
          BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
          BETTER_AUTH_URL: "http://127.0.0.1:3000",
        },
        dir,
      );
      return {
        ms: readiness.totalMs,
        connections: proxy.connections() - before,
        cpuMs: readiness.cpuMs,
      };
    };
    const samples = await interleave(
      { check: startOnce(standaloneDir), noCheck: startOnce(noCheck.dir) },
      { runs: context.runs(15), warmup: context.warmup(1) },
    );
    const relayRoundTrip = summarize(await roundTrips(proxy.url, context.runs(30, 5)), "ms");
    const rows = checkCostRows(
      {
        samples: samples.noCheck,
        note: "the same build, its register() only marking the migrations checked",
      },
      {
        check: { samples: samples.check, note: "the build as shipped", aim: true },
      },
      relayRoundTrip,
    );
    return [...rows, ...cpuRows(samples.check, samples.noCheck)].map((row) => ({
      ...row,
      key: `network.${row.key}`,
    }));
  } finally {
    await noCheck.remove();
    await proxy.close();
  }
}

/**
 * The CPU time each server used until its first 200, and the per-round difference: what the boot
 * costs in code run (loading its modules in the instrumentation bundle, the check itself), apart
 * from the round trips in `check.cost`. None where the platform has no per-thread schedstat.
 */
function cpuRows(
  check: { cpuMs: number | undefined }[],
  noCheck: { cpuMs: number | undefined }[],
): BenchRow[] {
  const cpu = (runs: { cpuMs: number | undefined }[]) =>
    runs.flatMap((run) => (run.cpuMs === undefined ? [] : [run.cpuMs]));
  if (cpu(check).length !== check.length || cpu(noCheck).length !== noCheck.length) return [];
  const note = "CPU time the server used until its first 200 (all threads)";
  return [
    { key: "no-check.cpu", measurement: summarize(cpu(noCheck), "ms"), note },
    { key: "check.cpu", measurement: summarize(cpu(check), "ms"), note },
    {
      key: "check.cpu-cost",
      measurement: summarize(
        paired(cpu(check), cpu(noCheck), (on, off) => on - off),
        "ms",
      ),
      note: "per-round check − no-check: the boot's code, without the network",
    },
  ];
}

/**
 * A copy of the standalone server whose instrumentation hook publishes "migrations ready" and
 * touches nothing else: the baseline of a server that does not check at boot. The state key is
 * the one src/server/migration-state.ts uses; were it to change, `/api/health` of the copy would
 * answer 503 and the bench would stop with that answer.
 */
async function copyWithoutBootCheck(
  dir: string,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const copy = await mkdtemp(path.join(os.tmpdir(), "bench-no-check-"));
  await cp(dir, copy, { recursive: true });
  await writeFile(
    path.join(copy, ".next/server/instrumentation.js"),
    `module.exports = {
  register() {
    globalThis[Symbol.for("agency-reporting.migrationState")] =
      { status: "ready", version: null, pending: [], checkedAt: new Date().toISOString() };
  },
};
`,
  );
  return { dir: copy, remove: () => rm(copy, { recursive: true, force: true }) };
}

interface Readiness {
  /** Spawn → first 200. */
  totalMs: number;
  /**
   * How long the request that got the first answer was in flight. Requests sent before the port
   * opens fail at once, so this is roughly the time from the port opening to the answer, which
   * Next spends in `register()` (the boot migrator) and the health route.
   */
  heldMs: number;
  migratorMs: number | undefined;
  /** CPU time the server had used when it answered (`cpuTimeMs`). */
  cpuMs: number | undefined;
}

/** A row from the runs that logged the figure, if any did (the log line is not a contract). */
function optionalRow(key: string, values: number[], note: string): BenchRow[] {
  return values.length === 0 ? [] : [{ key, measurement: summarize(values, "ms"), note }];
}

async function timeToHealthy(
  env: Record<string, string>,
  dir: string = standaloneDir,
): Promise<Readiness> {
  const started = performance.now();
  const server = await startServer("standalone", dir, env);
  try {
    const sentAt = await waitForHealthy(server);
    const answeredAt = performance.now();
    const cpuMs = cpuTimeMs(server.pid);
    return {
      cpuMs,
      totalMs: answeredAt - started,
      heldMs: answeredAt - sentAt,
      migratorMs: loggedTotalMs(server.output()),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Polls until the first 200 and returns when the request that got it was sent. Before the port
 * opens a request fails at once; after it opens, Next holds the request until `register()`
 * resolves, so the poll interval adds at most a millisecond or two to the figure.
 */
async function waitForHealthy(server: Awaited<ReturnType<typeof startServer>>): Promise<number> {
  let exitCode: number | null | undefined;
  void server.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`the standalone server exited with ${exitCode}:\n${server.output()}`);
    }
    const sentAt = performance.now();
    const response = await get(`${server.url}/api/health`);
    if (response.status === 200) return sentAt;
    if (response.status !== 0 && response.status !== 503) {
      throw new Error(`/api/health answered ${response.status}: ${response.body}`);
    }
    await sleep(1);
  }
  throw new Error(`no 200 on /api/health within ${READY_DEADLINE_MS} ms:\n${server.output()}`);
}

/** Builds once when `.next/standalone` is missing; a build older than the code is not detected. */
async function ensureStandaloneBuild(context: BenchContext): Promise<void> {
  const serverJs = path.join(standaloneDir, "server.js");
  if (
    await access(serverJs).then(
      () => true,
      () => false,
    )
  )
    return;
  context.log("  .next/standalone/server.js is missing: running `next build` once (takes ~20 s)");
  await promisify(execFile)(
    process.execPath,
    [path.join(process.cwd(), "node_modules/next/dist/bin/next"), "build"],
    {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      maxBuffer: 16 * 1024 * 1024,
    },
  ).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`next build failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
  });
}
