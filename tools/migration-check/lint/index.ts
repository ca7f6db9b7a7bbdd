import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { MigrationCheckProblem } from "../check";
import { docsLink, RULES } from "./rules";
import { lintWithSquawk, parseWithSquawk, type SquawkFinding } from "./squawk";
import {
  byteOffset,
  lineOf,
  type MigrationSyntax,
  migrationSyntax,
  type Statement,
  statementAt,
} from "./statements";
import { isSquawkIgnore, parseWaiver, WAIVER_SYNTAX } from "./waivers";

/**
 * The migration linter of `npm run db:check`: squawk's Postgres parser and rules over every
 * migration in the folder, the project's rule set, statements on tables created earlier in the
 * same file let through, and inline waivers that must give a reason.
 */

const CHECK = "migration lint" as const;

/** Such a file runs outside the batch transaction (first line `-- no-transaction`). */
function runsOutsideTransaction(source: string): boolean {
  return source.split("\n", 1)[0]?.trim() === "-- no-transaction";
}

function problem(where: string, rule: string, text: string, fix?: string): MigrationCheckProblem {
  return {
    check: CHECK,
    problem: `${where} [${rule}] ${text}`,
    fix: `${fix ?? RULES[rule] ?? ""} See ${docsLink(rule)}.`.trim(),
  };
}

function createdEarlier(statements: readonly Statement[], statement: Statement): boolean {
  return statements.some(
    (earlier) =>
      earlier.start < statement.start && earlier.creates && earlier.table === statement.table,
  );
}

interface Waiver {
  statement: Statement | undefined;
  rules: string[];
  line: number;
  used: Set<string>;
}

/** Lints one file's findings (already limited to enforced rules) against its own syntax. */
function judgeFile(
  label: string,
  source: Buffer,
  syntax: MigrationSyntax,
  findings: readonly SquawkFinding[],
): MigrationCheckProblem[] {
  const problems: MigrationCheckProblem[] = [];
  const waivers: Waiver[] = [];
  for (const comment of syntax.comments) {
    const line = lineOf(source, comment.start);
    if (isSquawkIgnore(comment.text)) {
      problems.push({
        check: CHECK,
        problem: `${label}:${line} squawk-ignore silences a rule without a reason.`,
        fix: `Write ${WAIVER_SYNTAX} instead. See ${docsLink("waivers")}.`,
      });
      continue;
    }
    const waiver = parseWaiver(comment.text);
    if (!waiver) continue;
    if ("problem" in waiver) {
      problems.push({
        check: CHECK,
        problem: `${label}:${line} the waiver ${waiver.problem}.`,
        fix: `See ${docsLink("waivers")}.`,
      });
      continue;
    }
    const statement = statementAt(syntax.statements, comment.start);
    waivers.push({ statement, rules: waiver.rules, line, used: new Set() });
  }

  for (const finding of findings) {
    const statement = statementAt(
      syntax.statements,
      byteOffset(source, finding.line, finding.column),
    );
    if (statement?.table && createdEarlier(syntax.statements, statement)) continue;
    const waiver = waivers.find(
      (w) => w.statement && w.statement === statement && w.rules.includes(finding.rule),
    );
    if (waiver) {
      waiver.used.add(finding.rule);
      continue;
    }
    problems.push(problem(`${label}:${finding.line + 1}`, finding.rule, finding.message));
  }

  for (const waiver of waivers) {
    const unused = waiver.rules.filter((rule) => !waiver.used.has(rule));
    if (unused.length > 0) {
      problems.push({
        check: CHECK,
        problem: `${label}:${waiver.line} the waiver for ${unused.join(", ")} excuses nothing: the statement after it breaks no such rule.`,
        fix: `Put the waiver on the line above the statement it excuses, or remove it. See ${docsLink("waivers")}.`,
      });
    }
  }
  return problems;
}

export async function lintMigrationFolder(
  folder: string,
  label: string,
): Promise<MigrationCheckProblem[]> {
  const files = readdirSync(folder)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  const sources = new Map(files.map((file) => [file, readFileSync(path.join(folder, file))]));
  const outside = files.filter((file) => runsOutsideTransaction(String(sources.get(file))));
  const inside = files.filter((file) => !outside.includes(file));
  const findings = [
    ...(await lintWithSquawk(inside, { cwd: folder, inTransaction: true })),
    ...(await lintWithSquawk(outside, { cwd: folder, inTransaction: false })),
  ].filter((finding) => finding.rule in RULES);

  const problems: MigrationCheckProblem[] = [];
  for (const file of files) {
    const source = sources.get(file) ?? Buffer.alloc(0);
    const own = findings.filter((finding) => finding.file === file);
    const text = source.toString("utf8");
    // Parsing costs a squawk run: only files with something to judge need it.
    if (own.length === 0 && !text.includes("lint-waiver") && !text.includes("squawk-ignore")) {
      continue;
    }
    const syntax = migrationSyntax(await parseWithSquawk(file, folder), source);
    problems.push(...judgeFile(`${label}/${file}`, source, syntax, own));
  }
  return problems;
}
