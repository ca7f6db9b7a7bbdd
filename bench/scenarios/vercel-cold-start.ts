import { randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { functionAt, readBuildOutput } from "@tools/vercel-runtime/build-output";
import { functionPool } from "@tools/vercel-runtime/instances";
import { vercelBuild } from "@tools/vercel-runtime/vercel-build";
import { migrationsWithoutNewest, startServer } from "../../test/support/next-app";
import { copyProjectForVercel } from "../../test/support/vercel-project";
import { interleave, summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { ours } from "../support/migrators";

/**
 * A cold start of one function instance of `vercel build`'s output, as the local Vercel runtime
 * starts it (its own process with VERCEL=1, Next in minimal mode behind a local bridge): from
 * spawning the process to its first answer on `/api/health`, on an up-to-date database (200) and
 * on one a migration behind (503, the check finds it pending). Beside it, the standalone server of
 * the same build, spawn → first 200. The build (about a minute) is not timed.
 */
export const vercelColdStart: Scenario = {
  name: "vercel-cold-start",
  title: "Vercel function instance: spawn → first answer on /api/health, vs the standalone server",
  async run(context) {
    const project = await copyProjectForVercel();
    try {
      return await withBenchDatabase(context.adminUrl, "vercel", async (upToDate) =>
        withBenchDatabase(context.adminUrl, "vercel_behind", async (behind) => {
          context.log("  vercel build (once, not timed)");
          const build = await vercelBuild(project.dir, { DATABASE_URL: upToDate.url });
          if (build.code !== 0) throw new Error(`vercel build failed:\n${build.output}`);
          const older = await migrationsWithoutNewest(appMigrationsFolder);
          await ours(behind.url, older.dir).finally(() => older.remove());
          const output = readBuildOutput(build.outputDir);
          const functionDir = functionAt(output, "/api/health");
          if (!functionDir) throw new Error("the Build Output has no /api/health function");
          const env = (url: string) => ({
            DATABASE_URL: url,
            BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
            BETTER_AUTH_URL: "http://127.0.0.1:3000",
          });
          const instanceOnce = (url: string, expected: number) => async () => {
            const pool = functionPool(
              output,
              functionDir,
              {
                project: env(url),
                system: {
                  VERCEL: "1",
                  VERCEL_ENV: "production",
                  VERCEL_REGION: "iad1",
                  VERCEL_URL: "127.0.0.1:3000",
                },
              },
              () => {},
            );
            try {
              const instance = await pool.acquire();
              const status = await healthThroughBridge(instance.port);
              if (status !== expected)
                throw new Error(`/api/health answered ${status}, expected ${expected}`);
              return performance.now() - instance.startedAt;
            } finally {
              await pool.stop();
            }
          };
          const standaloneOnce = async () => {
            const started = performance.now();
            const server = await startServer(
              "standalone",
              path.join(project.dir, ".next/standalone"),
              env(upToDate.url),
            );
            try {
              while (
                (await fetch(`${server.url}/api/health`).catch(() => undefined))?.status !== 200
              ) {
                await new Promise((resolve) => setTimeout(resolve, 1));
              }
              return performance.now() - started;
            } finally {
              await server.stop();
            }
          };
          const samples = await interleave(
            {
              upToDate: instanceOnce(upToDate.url, 200),
              pending: instanceOnce(behind.url, 503),
              standalone: standaloneOnce,
            },
            { runs: context.runs(10), warmup: context.warmup(1) },
          );
          const rows: BenchRow[] = [
            {
              key: "instance.up-to-date",
              measurement: summarize(samples.upToDate, "ms"),
              note: "one function instance, spawn → 200 (the boot check finds nothing pending)",
            },
            {
              key: "instance.pending",
              measurement: summarize(samples.pending, "ms"),
              note: "the same on a database one migration behind: spawn → 503",
            },
            {
              key: "standalone",
              measurement: summarize(samples.standalone, "ms"),
              note: "the same build's standalone server.js, spawn → first 200",
            },
          ];
          return rows;
        }),
      );
    } finally {
      await project.remove();
    }
  },
};

/** GET /api/health straight to an instance's bridge, as the runtime sends it. */
function healthThroughBridge(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: "127.0.0.1",
          port,
          path: "/api/health",
          headers: { "x-matched-path": "/api/health" },
        },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        },
      )
      .on("error", reject);
  });
}
