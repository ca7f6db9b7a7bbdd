import {
  BREAKPOINT,
  findConcurrently,
  findEscapes,
  isNoTransaction,
} from "drizzle-boot-migrator/folder";
import type { SquawkFinding } from "./squawk";

/**
 * The statements of a migration that the migrator refuses while it is pending, found by its own
 * code (drizzle-boot-migrator's findEscapes and findConcurrently), as findings of the rules in
 * REFUSED_RULES, placed the way squawk places its own, so that the linter judges and waives them
 * like any other finding.
 */
export function refusalFindings(file: string, source: Buffer): SquawkFinding[] {
  const text = source.toString("utf8");
  const chunks = text.split(BREAKPOINT);
  const at = (line: number, offset: number) => {
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    // squawk's lines count from 0 and its columns count UTF-8 bytes; the migrator's lines count
    // from 1 and its offsets count characters.
    return { file, line: line - 1, column: Buffer.byteLength(text.slice(lineStart, offset)) };
  };
  const escapes = findEscapes(chunks).map(({ kind, line, offset }) =>
    kind === "transaction"
      ? {
          ...at(line, offset),
          rule: "transaction-control",
          message:
            "The statement ends, rolls back or nests the migrations' transaction: what follows " +
            "would run without the migration lock, the timeouts and the all-or-nothing batch.",
        }
      : {
          ...at(line, offset),
          rule: "session-control",
          message:
            `The statement changes what the migrator sets for every migration (${kind}): the ` +
            "pending migrations share one transaction, and its settings and lock.",
        },
  );
  // A `-- no-transaction` migration runs each statement on its own, where CONCURRENTLY works.
  const concurrently = isNoTransaction(chunks)
    ? []
    : findConcurrently(chunks).map(({ line, offset }) => ({
        ...at(line, offset),
        rule: "concurrently",
        message:
          "The statement uses CONCURRENTLY, which Postgres refuses inside a transaction " +
          "(SQLSTATE 25001), and the migration runs in the migrations' one transaction.",
      }));
  return [...escapes, ...concurrently];
}
