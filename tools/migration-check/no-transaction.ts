import { readFileSync } from "node:fs";
import path from "node:path";
import {
  BREAKPOINT,
  excerpt,
  isNoTransaction,
  migrationSqlFiles,
  NO_TRANSACTION_MARKER,
  withoutCommentsAndQuotes,
} from "drizzle-boot-migrator/folder";

/**
 * `npm run db:check`'s rules for migrations that run outside a transaction (the `-- no-transaction`
 * marker, docs/migrations.md#migrations-outside-a-transaction). Such a file is not atomic: a
 * failure or a kill part-way leaves its earlier statements applied and no ledger row, and the next
 * run starts the file again, so every statement must be a no-op the second time.
 */

export interface NoTransactionFinding {
  /**
   * The migration file, relative to the project (`drizzle/0004_reports-index.sql`, or
   * `drizzle/20250101120000_reports-index/migration.sql` in drizzle-kit 1.0's layout).
   */
  file: string;
  problem: string;
  fix: string;
  /** A fact to know rather than a fault: reported, but does not fail the check. */
  note?: true;
}

const NEAR_MARKER = /^--\s*no[\s_-]*transaction\b/i;

interface RepeatabilityRule {
  statement: RegExp;
  repeatable: RegExp;
  fix: string;
}

// Matched against the statement without comments and quoted text, so only keywords count.
const RULES: RepeatabilityRule[] = [
  {
    statement: /^\s*alter\s+type\b[\s\S]*\badd\s+value\b/i,
    repeatable: /\badd\s+value\s+if\s+not\s+exists\b/i,
    fix: "ALTER TYPE <type> ADD VALUE IF NOT EXISTS '<value>'",
  },
  {
    statement: /^\s*create\s+(?:unique\s+)?index\b/i,
    repeatable: /^\s*create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?if\s+not\s+exists\b/i,
    fix: "CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON <table> (...)",
  },
  {
    statement: /^\s*drop\s+index\b/i,
    repeatable: /^\s*drop\s+index\s+(?:concurrently\s+)?if\s+exists\b/i,
    fix: "DROP INDEX CONCURRENTLY IF EXISTS <name>",
  },
  {
    statement: /^\s*create\b/i,
    repeatable: /\bif\s+not\s+exists\b/i,
    fix: "CREATE ... IF NOT EXISTS",
  },
  { statement: /^\s*drop\b/i, repeatable: /\bif\s+exists\b/i, fix: "DROP ... IF EXISTS" },
  // Rebuilding an index again only repeats work.
  { statement: /^\s*reindex\b/i, repeatable: /^/, fix: "" },
];

function repeatabilityProblem(
  file: string,
  statement: string,
  position: string,
): NoTransactionFinding | undefined {
  const code = withoutCommentsAndQuotes(statement);
  if (code.trim() === "") return undefined;
  const rule = RULES.find((candidate) => candidate.statement.test(code));
  if (rule?.repeatable.test(code)) return undefined;
  const why =
    `${file} (${position}) runs outside a transaction, so after a failure or a kill the next ` +
    "run repeats it, but it is not written to be a no-op the second time: " +
    excerpt(statement.replace(NEAR_MARKER, ""));
  return rule
    ? { file, problem: why, fix: `Write it as \`${rule.fix}\`.` }
    : {
        file,
        problem: why,
        fix:
          "Only statements that need to run outside a transaction belong in such a file, each " +
          "with IF NOT EXISTS / IF EXISTS (CREATE/DROP INDEX CONCURRENTLY, ALTER TYPE ... ADD " +
          "VALUE, REINDEX ... CONCURRENTLY): move this one into an ordinary migration.",
      };
}

/** Findings for one migration file's text. */
export function checkNoTransactionFile(file: string, text: string): NoTransactionFinding[] {
  const statements = text.split(BREAKPOINT);
  const firstLine = statements[0]?.split("\n", 1)[0]?.replace(/\r$/, "") ?? "";
  // CONCURRENTLY in an unmarked file is a lint finding (`concurrently`, lint/refusals.ts), which
  // a committed migration can be adopted with.
  if (!isNoTransaction(statements)) {
    if (!NEAR_MARKER.test(firstLine)) return [];
    return [
      {
        file,
        problem: `${file} starts with \`${firstLine}\`, which is not the marker: the migrator runs it in a transaction.`,
        fix: `Make its first line exactly \`${NO_TRANSACTION_MARKER}\`.`,
      },
    ];
  }
  const findings = statements.flatMap((statement, index) => {
    const problem = repeatabilityProblem(
      file,
      statement,
      `statement ${index + 1} of ${statements.length}`,
    );
    return problem ? [problem] : [];
  });
  findings.push({
    file,
    note: true,
    problem:
      `${file} runs outside a transaction (${NO_TRANSACTION_MARKER}): \`drizzle-kit migrate\` ` +
      "cannot apply it, because it runs all pending migrations in one transaction (CONCURRENTLY " +
      "fails there with SQLSTATE 25001, and a new enum value cannot be used before it commits).",
    fix: "Apply migrations with `npm run db:migrate` or a booting server, which run it on its own.",
  });
  return findings;
}

/**
 * Findings for every migration file of `outDir`, in either drizzle-kit layout, shown as
 * `label/<file>`.
 */
export function checkNoTransactionMigrations(
  outDir: string,
  label: string,
): NoTransactionFinding[] {
  return migrationSqlFiles(outDir).flatMap((name) =>
    checkNoTransactionFile(`${label}/${name}`, readFileSync(path.join(outDir, name), "utf8")),
  );
}
