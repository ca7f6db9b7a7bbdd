import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { JSONReport, JSONReportSuite } from "@playwright/test/reporter";

/**
 * Where the test time goes. Each runner records its last run in `.test-timings/` (git-ignored):
 * vitest through test/support/timings-reporter.ts, Playwright through its JSON reporter,
 * `npm run test:compat` itself. `npm run test:timings` reads them (docs/testing.md).
 */

export const TIMINGS_DIR = ".test-timings";
export const TIMINGS_FILES = {
  vitest: "vitest.json",
  playwright: "playwright.json",
  compat: "compat.json",
} as const;

/** The command whose run writes each record: `test:compat` is run by test:deployment, not npm test. */
const WRITTEN_BY: Record<keyof typeof TIMINGS_FILES, string> = {
  vitest: "npm test",
  playwright: "npm test",
  compat: "npm run test:compat",
};

/** Writes a runner's record into `root`'s `.test-timings/`. */
export function writeTimings(root: string, name: string, record: unknown): void {
  const file = path.join(root, TIMINGS_DIR, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * vitest's own JSON reporter times a file from its first test to its last: the `beforeAll` hooks,
 * where this project builds and starts servers, are left out. This record has the whole file, and
 * keeps each file's latest time, so running one file updates that file and no other.
 */
export interface VitestTimings {
  lastRun: { finishedAt: string; wallMs: number; files: number };
  files: { project: string; file: string; ms: number; tests: number; finishedAt: string }[];
}

/** `previous` with the files of the run in `latest` replaced, and files since deleted dropped. */
export function mergeVitestTimings(
  previous: VitestTimings | undefined,
  latest: VitestTimings,
  exists: (file: string) => boolean,
): VitestTimings {
  const ran = new Set(latest.files.map((entry) => `${entry.project} ${entry.file}`));
  const kept = (previous?.files ?? []).filter(
    (entry) => !ran.has(`${entry.project} ${entry.file}`) && exists(entry.file),
  );
  return { lastRun: latest.lastRun, files: [...kept, ...latest.files] };
}

export interface CompatTimings {
  finishedAt: string;
  ms: number;
  outcome: "passed" | "failed" | "skipped" | "could not run";
}

const seconds = (ms: number) =>
  ms >= 60_000
    ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
    : `${(ms / 1000).toFixed(1)} s`;

const files = (count: number) => `${count} ${count === 1 ? "file" : "files"}`;

const when = (iso: string) => iso.slice(0, 16).replace("T", " ");

function vitestLines(record: VitestTimings, slowest: number): string[] {
  const byProject = new Map<string, VitestTimings["files"]>();
  for (const file of record.files) {
    byProject.set(file.project, [...(byProject.get(file.project) ?? []), file]);
  }
  const projects = [...byProject].map(([name, files]) => ({
    name,
    files: [...files].sort((a, b) => b.ms - a.ms),
    ms: files.reduce((sum, file) => sum + file.ms, 0),
  }));
  projects.sort((a, b) => b.ms - a.ms);
  const dates = record.files.map((file) => file.finishedAt).sort();
  const { lastRun } = record;
  const lines = [
    `vitest: the latest time of each file, run between ${when(dates[0] ?? "")} and ${when(dates.at(-1) ?? "")} UTC`,
    `  (the last run, at ${when(lastRun.finishedAt)} UTC, took ${seconds(lastRun.wallMs)} wall clock for ${files(lastRun.files)})`,
    "  per project, its files' times added up (files run side by side, so more than the wall clock):",
  ];
  for (const project of projects) {
    lines.push(`  ${project.name}: ${seconds(project.ms)} in ${files(project.files.length)}`);
    for (const file of project.files.slice(0, slowest)) {
      lines.push(`    ${seconds(file.ms).padStart(12)}  ${file.file} (${file.tests} tests)`);
    }
  }
  return lines;
}

function testsMs(suites: readonly JSONReportSuite[]): number {
  return suites.reduce(
    (sum, suite) =>
      sum +
      testsMs(suite.suites ?? []) +
      suite.specs
        .flatMap((spec) => spec.tests.flatMap((test) => test.results))
        .reduce((specSum, result) => specSum + result.duration, 0),
    0,
  );
}

function playwrightLines(report: JSONReport): string[] {
  const tests = testsMs(report.suites);
  return [
    `Playwright (npm run test:e2e), run at ${when(report.stats.startTime)} UTC: ${seconds(report.stats.duration)}`,
    `  the tests ${seconds(tests)}; the rest, ${seconds(report.stats.duration - tests)}, is the web server's build and start and the browser's`,
  ];
}

function compatLines(record: CompatTimings): string[] {
  return [
    `npm run test:compat, run at ${when(record.finishedAt)} UTC: ${seconds(record.ms)} (${record.outcome})`,
  ];
}

/** The report `npm run test:timings` prints, from the records in `dir`. */
export function timingsReport(dir: string, slowest: number): string {
  const read = <T>(runner: keyof typeof TIMINGS_FILES, lines: (record: T) => string[]) => {
    const name = TIMINGS_FILES[runner];
    const file = path.join(dir, name);
    return existsSync(file)
      ? lines(JSON.parse(readFileSync(file, "utf8")) as T)
      : [`${name}: no record yet (${WRITTEN_BY[runner]} writes one)`];
  };
  return [
    ...read<VitestTimings>("vitest", (record) => vitestLines(record, slowest)),
    "",
    ...read<JSONReport>("playwright", playwrightLines),
    "",
    ...read<CompatTimings>("compat", compatLines),
  ].join("\n");
}
