import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";
import { missingToolSkip, type SkippedSuite, skipSummary } from "../../tools/system-tools";

/**
 * Ends a vitest run with the suites skipped by `needs()` or `onlyWhere()` (test/support/
 * system-tools.ts), each with its reason and, for a missing tool, the command that installs it.
 * Under CI a skip for a missing tool sets the exit code: the run fails.
 */
export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const summary = skipSummary(skippedSuites(testModules), process.env);
    if (!summary.text) return;
    console.log(`\n${summary.text}\n`);
    if (summary.fails) process.exitCode = 1;
  }
}

/** The test or describe that declared the skip: suites pass their meta down to what they hold. */
function declaredBy(test: TestCase): TestCase | TestSuite {
  let declaring: TestCase | TestSuite = test;
  for (let parent = test.parent; parent.type === "suite"; parent = parent.parent) {
    if (parent.meta().skipped) declaring = parent;
  }
  return declaring;
}

function skippedSuites(testModules: ReadonlyArray<TestModule>): SkippedSuite[] {
  const bySuite = new Map<string, SkippedSuite>();
  for (const testModule of testModules) {
    for (const test of testModule.children.allTests("skipped")) {
      const skipped = test.meta().skipped;
      if (!skipped) continue;
      const suite = `${testModule.relativeModuleId} > ${declaredBy(test).fullName}`;
      bySuite.set(
        suite,
        "missing" in skipped
          ? missingToolSkip(suite, skipped.missing)
          : { suite, reason: skipped.reason },
      );
    }
  }
  return [...bySuite.values()];
}
