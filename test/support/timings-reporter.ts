import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Reporter, TestModule, Vitest } from "vitest/node";
import {
  mergeVitestTimings,
  TIMINGS_DIR,
  TIMINGS_FILES,
  type VitestTimings,
  writeTimings,
} from "../../tools/test-timings";

/**
 * Records how long each test file took, hooks included, in `.test-timings/vitest.json` under
 * vitest's root (or `outputRoot`) for `npm run test:timings`.
 */
export default class TimingsReporter implements Reporter {
  private root = process.cwd();
  private started = Date.now();

  constructor(private readonly options: { outputRoot?: string } = {}) {}

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunStart(): void {
    this.started = Date.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const finishedAt = new Date().toISOString();
    const files = testModules
      .filter((testModule) => testModule.state() !== "skipped")
      .map((testModule) => {
        const run = testModule.diagnostic();
        return {
          project: testModule.project.name,
          file: testModule.relativeModuleId,
          ms: Math.round(
            run.environmentSetupDuration +
              run.prepareDuration +
              run.collectDuration +
              run.setupDuration +
              run.duration,
          ),
          tests: [...testModule.children.allTests()].length,
          finishedAt,
        };
      });
    const outputRoot = this.options.outputRoot ?? this.root;
    const recorded = path.join(outputRoot, TIMINGS_DIR, TIMINGS_FILES.vitest);
    const previous = existsSync(recorded)
      ? (JSON.parse(readFileSync(recorded, "utf8")) as VitestTimings)
      : undefined;
    const latest = {
      lastRun: { finishedAt, wallMs: Date.now() - this.started, files: files.length },
      files,
    };
    const exists = (file: string) => existsSync(path.join(this.root, file));
    writeTimings(outputRoot, TIMINGS_FILES.vitest, mergeVitestTimings(previous, latest, exists));
  }
}
