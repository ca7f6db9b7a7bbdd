import { locateSystemTool, type SystemToolName } from "@tools/system-tools";
import type { TestOptions } from "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** Why a suite was skipped, for the run's summary (test/support/skip-summary.ts). */
    skipped?: { missing: SystemToolName } | { reason: string };
  }
}

/**
 * Options for a `describe` or `it` whose tests need a program from the machine: skipped, with the
 * tool named in the summary, when it is missing. Checked when the file is collected, so a skipped
 * suite's hooks (builds, servers) never run.
 */
export function needs(tool: SystemToolName): TestOptions {
  if (locateSystemTool(tool, process.env)) return {};
  return { skip: true, meta: { skipped: { missing: tool } } };
}

/** Options for tests that mean something only where `applies` holds; the skip is listed, and passes. */
export function onlyWhere(applies: boolean, reason: string): TestOptions {
  return applies ? {} : { skip: true, meta: { skipped: { reason } } };
}
