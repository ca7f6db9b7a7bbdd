import { stripVTControlCharacters } from "node:util";
import type { CommandResult } from "./run-command";

/**
 * One line for a test run a script started (vitest's "Tests" line, Playwright's "passed" line),
 * or, when it failed, that line and the end of its output.
 */
export function testRunSummary(what: string, run: CommandResult): { ok: boolean; summary: string } {
  const output = stripVTControlCharacters(run.output);
  const counts =
    /^\s*Tests\s+(.+)$/m.exec(output)?.[1]?.trim() ??
    /^\s*(\d+ passed.*)$/m.exec(output)?.[1]?.trim() ??
    "no summary";
  if (run.code === 0) return { ok: true, summary: `${what}: ${counts}` };
  return { ok: false, summary: `${what} failed (${counts}):\n${output.slice(-4000)}` };
}
