/**
 * The human-readable form of a verify or baseline report: differences grouped by object, each
 * with its expected and actual state and the statement that would fix it (advice, never run).
 */
import type { AcknowledgedDifference } from "./acknowledgements.ts";
import type { BaselineReport } from "./baseline.ts";
import { DIFFERENCE_TITLES } from "./compare.ts";
import type { VerifyReport } from "./verify.ts";

const indent = (text: string, prefix: string) =>
  text
    .split("\n")
    .map((line, index) => (index === 0 ? line : `${prefix}${line}`))
    .join("\n");

/** Where the expected schema was built, and whether that server's major is the live one's. */
export function describeBuild(report: Pick<VerifyReport, "server" | "builtOn">): string {
  const { builtOn, server } = report;
  if (!builtOn) return "expected: not built";
  const same =
    builtOn.major === server.major
      ? "the live server's major"
      : `nearest available to the live server's ${server.major}; a difference between ` +
        "majors in how Postgres prints a definition shows as drift";
  return `expected: built on ${builtOn.description} (PostgreSQL ${builtOn.version}: ${same})`;
}

/** Differences grouped by object, in the report's order. */
export function formatDifferences(differences: AcknowledgedDifference[]): string[] {
  const lines: string[] = [];
  let previous = "";
  for (const difference of differences) {
    const object = `${difference.kind} ${difference.object}`;
    if (object !== previous) lines.push(object);
    previous = object;
    const mark = difference.acknowledged ? "~" : "✗";
    lines.push(`  ${mark} ${DIFFERENCE_TITLES[difference.code]} (${difference.code})`);
    lines.push(`    expected: ${indent(difference.expected ?? "(none)", "              ")}`);
    lines.push(`    actual:   ${indent(difference.actual ?? "(none)", "              ")}`);
    lines.push(`    advice:   ${indent(difference.advice, "              ")}`);
    if (difference.acknowledged) lines.push(`    acknowledged: ${difference.acknowledged}`);
  }
  return lines;
}

/**
 * The report as lines; `baselineCommand` is how the reader runs baseline (the advice for a
 * database that has no ledger).
 */
export function formatVerifyReport(
  report: VerifyReport,
  target: string,
  baselineCommand = "drizzle-boot-migrator baseline",
): string[] {
  const lines = [`database: ${target} (PostgreSQL ${report.server.version})`];
  if (report.builtOn) lines.push(describeBuild(report));
  for (const set of report.sets) {
    lines.push(
      `ledger:   ${set.ledger} (${set.folder}): ${set.applied.length} applied` +
        (set.pending.length > 0
          ? `; behind: ${set.pending.length} pending (${set.pending.join(", ")}), not compared`
          : "") +
        (set.unknown > 0 ? `; ahead: ${set.unknown} migration(s) the folder does not have` : ""),
    );
  }
  if (report.verdict === "unverifiable") {
    lines.push(`cannot verify: ${report.reason}`);
    return lines;
  }
  if (report.schemas.length > 0) lines.push(`schemas:  ${report.schemas.join(", ")}`);
  const failing = report.differences.filter((difference) => !difference.acknowledged);
  const acknowledged = report.differences.length - failing.length;
  lines.push(...formatDifferences(report.differences));
  for (const unused of report.unusedAcknowledgements) {
    lines.push(`! acknowledgement matches nothing (remove it): ${unused.code} ${unused.object}`);
  }
  if (report.verdict === "drift" && report.sets.every((set) => set.applied.length === 0)) {
    lines.push(
      "the ledger records no migration: a database built without them (drizzle-kit push, by " +
        `hand) is adopted with ${baselineCommand} when its schema is what the folder builds`,
    );
  }
  lines.push(
    report.verdict === "match"
      ? `no drift: the schema is what its applied migrations build${acknowledged > 0 ? ` (${acknowledged} acknowledged difference(s))` : ""}`
      : `drift: ${failing.length} difference(s) from what the applied migrations build` +
          (acknowledged > 0 ? `, ${acknowledged} more acknowledged` : ""),
  );
  return lines;
}

export function formatBaselineReport(report: BaselineReport, target: string): string[] {
  const lines = [`database: ${target} (PostgreSQL ${report.server.version})`];
  if (report.builtOn) lines.push(describeBuild(report));
  lines.push(...formatDifferences(report.differences));
  if (report.outcome === "refused") {
    lines.push(`refused: ${report.reason}`);
    return lines;
  }
  for (const set of report.recorded) {
    lines.push(
      `recorded ${set.tags.length} migration(s) in ${set.ledger} without running them: ` +
        set.tags.join(", "),
    );
  }
  return lines;
}
