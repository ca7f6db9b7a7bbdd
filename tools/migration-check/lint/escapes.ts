import { BREAKPOINT, findEscapes } from "drizzle-boot-migrator/folder";
import type { SquawkFinding } from "./squawk";

/**
 * The statements of a migration that the migrator refuses while it is pending (its own lexer,
 * drizzle-boot-migrator's findEscapes), as findings of the rules in ESCAPE_RULES, placed the way
 * squawk places its own, so that the linter judges and waives them like any other finding.
 */
export function escapeFindings(file: string, source: Buffer): SquawkFinding[] {
  const text = source.toString("utf8");
  return findEscapes(text.split(BREAKPOINT)).map(({ kind, line, offset }) => {
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    // squawk's columns count UTF-8 bytes; findEscapes counts characters.
    const column = Buffer.byteLength(text.slice(lineStart, offset));
    return kind === "transaction"
      ? {
          file,
          line: line - 1,
          column,
          rule: "transaction-control",
          message:
            "The statement ends, rolls back or nests the migrations' transaction: what follows " +
            "would run without the migration lock, the timeouts and the all-or-nothing batch.",
        }
      : {
          file,
          line: line - 1,
          column,
          rule: "session-control",
          message:
            `The statement changes what the migrator sets for every migration (${kind}): the ` +
            "pending migrations share one transaction, and its settings and lock.",
        };
  });
}
