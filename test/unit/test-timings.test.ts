import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JSONReport } from "@playwright/test/reporter";
import {
  type CompatTimings,
  mergeVitestTimings,
  TIMINGS_DIR,
  TIMINGS_FILES,
  type VitestTimings,
} from "@tools/test-timings";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startProcess, startScript } from "../support/processes";

const scratch = mkdtempSync(path.join(tmpdir(), "test-timings-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const AT = "2026-12-07T12:00:00.000Z";
const file = (project: string, name: string, ms: number) => ({
  project,
  file: name,
  ms,
  tests: 2,
  finishedAt: AT,
});

const vitest: VitestTimings = {
  lastRun: { finishedAt: AT, wallMs: 95_000, files: 5 },
  files: [
    file("unit", "test/unit/a.test.ts", 900),
    file("db", "test/db/small.test.ts", 4_000),
    file("db", "test/db/build.test.ts", 130_000),
    file("unit", "test/unit/b.test.ts", 300),
    file("db", "test/db/medium.test.ts", 20_000),
  ],
};

/** Playwright's JSON report, with only what the timings read filled in. */
const result = (duration: number) =>
  ({ duration }) as JSONReport["suites"][0]["specs"][0]["tests"][0]["results"][0];
const playwright = {
  stats: { startTime: AT, duration: 150_000, expected: 3, unexpected: 0, flaky: 0, skipped: 0 },
  suites: [
    {
      specs: [{ tests: [{ results: [result(20_000)] }] }],
      suites: [{ specs: [{ tests: [{ results: [result(6_000), result(4_000)] }] }] }],
    },
  ],
} as unknown as JSONReport;

const compat: CompatTimings = { finishedAt: AT, ms: 185_000, outcome: "passed" };

/** `npm run test:timings` in a folder holding `records`. */
async function report(records: Record<string, unknown>, args: string[] = []) {
  const dir = mkdtempSync(path.join(scratch, "run-"));
  mkdirSync(path.join(dir, TIMINGS_DIR));
  for (const [name, record] of Object.entries(records)) {
    writeFileSync(path.join(dir, TIMINGS_DIR, name), JSON.stringify(record));
  }
  return startScript("scripts/test-timings.ts", args, { cwd: dir }).exited;
}

describe("npm run test:timings", () => {
  it("prints each vitest project, slowest first, with its slowest files, then Playwright and test:compat", async () => {
    const run = await report(
      {
        [TIMINGS_FILES.vitest]: vitest,
        [TIMINGS_FILES.playwright]: playwright,
        [TIMINGS_FILES.compat]: compat,
      },
      ["--slowest", "2"],
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toBe(
      `${[
        "vitest: the latest time of each file, run between 2026-12-07 12:00 and 2026-12-07 12:00 UTC",
        "  (the last run, at 2026-12-07 12:00 UTC, took 1 min 35 s wall clock for 5 files)",
        "  per project, its files' times added up (files run side by side, so more than the wall clock):",
        "  db: 2 min 34 s in 3 files",
        "      2 min 10 s  test/db/build.test.ts (2 tests)",
        "          20.0 s  test/db/medium.test.ts (2 tests)",
        "  unit: 1.2 s in 2 files",
        "           0.9 s  test/unit/a.test.ts (2 tests)",
        "           0.3 s  test/unit/b.test.ts (2 tests)",
        "",
        "Playwright (npm run test:e2e), run at 2026-12-07 12:00 UTC: 2 min 30 s",
        "  the tests 30.0 s; the rest, 2 min 0 s, is the web server's build and start and the browser's",
        "",
        "npm run test:compat, run at 2026-12-07 12:00 UTC: 3 min 5 s (passed)",
      ].join("\n")}\n`,
    );
  });

  it("says which runner has no record yet, and which command writes it", async () => {
    const run = await report({ [TIMINGS_FILES.compat]: compat });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("vitest.json: no record yet (npm test writes one)");
    expect(run.stdout).toContain("playwright.json: no record yet (npm test writes one)");
    expect(run.stdout).not.toContain("compat.json: no record yet");

    const withoutCompat = await report({ [TIMINGS_FILES.vitest]: vitest });
    expect(withoutCompat.code, withoutCompat.output).toBe(0);
    expect(withoutCompat.stdout).toContain(
      "compat.json: no record yet (npm run test:compat writes one)",
    );
  });
});

describe("the vitest record", () => {
  it("keeps each file's latest time: a run of some files replaces those, and deleted files go", () => {
    const later = "2026-12-07T13:00:00.000Z";
    const rerun: VitestTimings = {
      lastRun: { finishedAt: later, wallMs: 2_000, files: 1 },
      files: [{ ...file("unit", "test/unit/a.test.ts", 700), finishedAt: later }],
    };
    const merged = mergeVitestTimings(vitest, rerun, (name) => name !== "test/db/small.test.ts");
    expect(merged.lastRun).toEqual(rerun.lastRun);
    expect(merged.files.map((entry) => [entry.file, entry.ms])).toEqual([
      ["test/db/build.test.ts", 130_000],
      ["test/unit/b.test.ts", 300],
      ["test/db/medium.test.ts", 20_000],
      ["test/unit/a.test.ts", 700],
    ]);
  });

  it("counts a file's beforeAll, which vitest's own JSON reporter leaves out", {
    timeout: 30_000,
  }, async () => {
    const outputRoot = mkdtempSync(path.join(scratch, "reporter-"));
    const run = await startProcess(
      process.execPath,
      [
        path.join(REPO_ROOT, "node_modules/vitest/vitest.mjs"),
        "run",
        "--config",
        "test/support/fixtures/timings/vitest.config.ts",
      ],
      { env: { ...process.env, TIMINGS_OUTPUT_ROOT: outputRoot } },
    ).exited;
    expect(run.code, run.output).toBe(0);
    const recorded = JSON.parse(
      readFileSync(path.join(outputRoot, TIMINGS_DIR, TIMINGS_FILES.vitest), "utf8"),
    ) as VitestTimings;
    expect(recorded.files).toEqual([
      {
        project: "",
        file: "slow-hook.fixture.ts",
        ms: expect.any(Number),
        tests: 1,
        finishedAt: recorded.lastRun.finishedAt,
      },
    ]);
    expect(recorded.files[0]?.ms).toBeGreaterThanOrEqual(1_000);
  });
});
