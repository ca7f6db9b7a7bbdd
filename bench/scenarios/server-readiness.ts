import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { get, startServer } from "../../test/support/next-app";
import { interleave, paired, summarize, time } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { ours } from "../support/migrators";

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
        { runs: context.runs(20, 2), warmup: 1 },
      );
      const difference = paired(samples.on, samples.off, (on, off) => on - off);
      const rows: BenchRow[] = [
        { key: "migrate-on-boot", measurement: summarize(samples.on, "ms") },
        {
          key: "check-only",
          measurement: summarize(samples.off, "ms"),
          note: "MIGRATE_ON_BOOT=false",
        },
        {
          key: "difference",
          measurement: summarize(difference, "ms"),
          note: "per-round on − off; target ≤ 20 ms",
          atMost: 20,
        },
      ];
      return rows;
    });
  },
};

async function timeToHealthy(env: Record<string, string>): Promise<number> {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    return await time(async () => {
      server = await startServer("standalone", standaloneDir, env);
      await waitForHealthy(server);
    });
  } finally {
    await server?.stop();
  }
}

/**
 * Polls until the first 200. Before the port opens a request fails at once; after it opens, Next
 * holds the request until `register()` resolves, so the poll interval adds at most a millisecond
 * or two to the figure.
 */
async function waitForHealthy(server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  let exitCode: number | null | undefined;
  void server.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`the standalone server exited with ${exitCode}:\n${server.output()}`);
    }
    const response = await get(`${server.url}/api/health`);
    if (response.status === 200) return;
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
