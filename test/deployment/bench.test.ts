import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readMigrationFolder } from "drizzle-boot-migrator/folder";
import { describe, expect, inject, it } from "vitest";
import { scenarios } from "../../bench/scenarios";
import { COLD_BOOT_COUNTS } from "../../bench/scenarios/cold-boots";
import { appMigrationsFolder } from "../../bench/support/fixtures";

const run = promisify(execFile);

/**
 * The bench is not a test and nothing here judges a timing; this only keeps `npm run bench` from
 * rotting: every scenario still runs against the real migrator, CLI and standalone server, and
 * `--json` stays one object of { median, min, max, runs, unit }. With `--quick` it takes about
 * 1.5 min on a quiet 2-core machine (plus one `next build` when `.next/standalone` is missing).
 */
describe("npm run bench -- --quick --json", () => {
  it("prints one JSON object covering every scenario; cold boots and each drizzle version's applies leave a full ledger", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--quick", "--json"],
      {
        env: { ...process.env, TEST_DATABASE_URL: inject("adminDatabaseUrl") },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const results = JSON.parse(stdout) as Record<string, Record<string, unknown>>;

    for (const scenario of scenarios) {
      const keys = Object.keys(results).filter((key) => key.startsWith(`${scenario.name}.`));
      expect(keys, `keys of scenario ${scenario.name}`).not.toHaveLength(0);
    }
    for (const [key, measurement] of Object.entries(results)) {
      expect(Object.keys(measurement).sort(), key).toEqual([
        "max",
        "median",
        "min",
        "runs",
        "unit",
      ]);
      const { median, min, max, runs, unit } = measurement as {
        median: number;
        min: number;
        max: number;
        runs: number;
        unit: string;
      };
      expect(Number.isFinite(median) && Number.isFinite(min) && Number.isFinite(max), key).toBe(
        true,
      );
      expect(min <= median && median <= max, `${key}: min ≤ median ≤ max`).toBe(true);
      expect(Number.isInteger(runs) && runs >= 1, `${key}: runs`).toBe(true);
      expect(unit, `${key}: unit`).not.toBe("");
    }

    const files = readMigrationFolder(appMigrationsFolder).length;
    for (const processes of COLD_BOOT_COUNTS) {
      expect(results[`cold-boots.${processes}.errors`]?.max).toBe(0);
      expect(results[`cold-boots.${processes}.ledger-rows`]?.min).toBe(files);
      expect(results[`cold-boots.${processes}.ledger-rows`]?.max).toBe(files);
    }
    // drizzle-versions: every 100-migration apply, on 0.45 and on 1.0, left a full ledger.
    for (const version of ["0.45", "1"]) {
      expect(results[`drizzle-versions.${version}.apply-100.ledger-rows`]?.min).toBe(100);
      expect(results[`drizzle-versions.${version}.apply-100.ledger-rows`]?.max).toBe(100);
    }
  }, 600_000);
});
