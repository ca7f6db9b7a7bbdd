import { REFUSED_RULES, RULES } from "./rules";

/**
 * A waiver is a comment on the statement it excuses:
 *
 *   -- lint-waiver ban-drop-column: release 2026-12-01 no longer reads users.legacy_name
 *
 * It names the rules it waives and must give a reason after the colon.
 */
export const WAIVER_SYNTAX = "-- lint-waiver <rule>[, <rule>]: <reason>";

const WAIVER = /^--\s*lint-waiver\b\s*([^:]*)(?::(.*))?$/;

export type WaiverComment = { rules: string[]; reason: string } | { problem: string } | undefined;

/**
 * What is wrong with a waiver's rules and reason, if anything. What the migrator refuses while
 * pending (REFUSED_RULES) is waived only in the list, for a committed migration: inline, it would
 * pass db:check on a migration every boot still refuses.
 */
export function waiverProblem(
  rules: readonly string[],
  reason: string,
  where: "inline" | "listed",
): string | undefined {
  if (rules.length === 0) return `names no rule (write ${WAIVER_SYNTAX})`;
  const refused = rules.filter((rule) => rule in REFUSED_RULES);
  if (where === "inline" && refused.length > 0) {
    return (
      `names ${refused.join(", ")}, which the migrator refuses in a pending migration whatever ` +
      "the file says: change the statement as the rule's advice says (a committed migration is " +
      "adopted with `npm run db:check -- --adopt` instead)"
    );
  }
  const unknown = rules.filter((rule) => !(rule in RULES) && !(rule in REFUSED_RULES));
  if (unknown.length > 0) return `names rules db:check does not enforce: ${unknown.join(", ")}`;
  if (!reason.trim()) return `gives no reason (write ${WAIVER_SYNTAX}: why this is safe here)`;
  return undefined;
}

/** undefined: not a waiver comment at all. */
export function parseWaiver(comment: string): WaiverComment {
  const match = WAIVER.exec(comment.trim());
  if (!match) return undefined;
  const rules = (match[1] ?? "")
    .split(",")
    .map((rule) => rule.trim())
    .filter(Boolean);
  const reason = (match[2] ?? "").trim();
  const problem = waiverProblem(rules, reason, "inline");
  return problem ? { problem } : { rules, reason };
}

/** squawk's own `squawk-ignore` comments would silence a rule with no reason given. */
export function isSquawkIgnore(comment: string): boolean {
  return /^--\s*squawk-ignore/.test(comment.trim());
}
