import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isNoTransaction } from "drizzle-boot-migrator/folder";
import type { MigrationCheckProblem } from "../check";
import { LISTED_WAIVERS, type ListedWaiver } from "./listed-waivers";
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
import { isSquawkIgnore, parseWaiver, WAIVER_SYNTAX, waiverProblem } from "./waivers";

/**
 * The migration linter of `npm run db:check`: squawk's Postgres parser and rules over every
 * migration in the folder, the project's rule set, statements on tables created earlier in the
 * same file let through, and waivers that must give a reason: inline, or for committed
 * migrations in listed-waivers.ts.
 */

const CHECK = "migration lint" as const;

function finding(where: string, rule: string, text: string): MigrationCheckProblem {
  return {
    check: CHECK,
    problem: `${where} [${rule}] ${text}`,
    fix: `${RULES[rule]} See ${docsLink(rule)}.`,
  };
}

function waiverProblemAt(problem: string, todo = ""): MigrationCheckProblem {
  return { check: CHECK, problem, fix: `${todo} See ${docsLink("waivers")}.`.trim() };
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
  /** Where it is, for messages: `file:line` or the listed entry. */
  where: string;
  used: Set<string>;
}

/** A statement's identity for listed waivers: its text's SHA-256, 16 hex digits. */
function statementHash(source: Buffer, statement: Statement): string {
  const text = source.subarray(statement.start, statement.end);
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

const LISTED_AT = "tools/migration-check/lint/listed-waivers.ts";

function listedWaivers(
  label: string,
  source: Buffer,
  syntax: MigrationSyntax,
  listed: readonly ListedWaiver[],
): { waivers: Waiver[]; problems: MigrationCheckProblem[] } {
  const waivers: Waiver[] = [];
  const problems: MigrationCheckProblem[] = [];
  for (const entry of listed) {
    const where = `${LISTED_AT}: the waiver for ${label} statement ${entry.statement}`;
    const problem = waiverProblem(entry.rules, entry.reason);
    const statement = syntax.statements.find((s) => statementHash(source, s) === entry.statement);
    if (problem || !statement) {
      problems.push(
        waiverProblemAt(
          `${where} ${problem ?? "matches no statement of that file"}.`,
          "Correct or remove the entry.",
        ),
      );
      continue;
    }
    waivers.push({ statement, rules: entry.rules, where, used: new Set() });
  }
  return { waivers, problems };
}

/** Lints one file's findings (already limited to enforced rules) against its own syntax. */
function judgeFile(
  label: string,
  source: Buffer,
  syntax: MigrationSyntax,
  findings: readonly SquawkFinding[],
  listed: readonly ListedWaiver[],
): MigrationCheckProblem[] {
  const { waivers, problems } = listedWaivers(label, source, syntax, listed);
  for (const comment of syntax.comments) {
    const line = lineOf(source, comment.start);
    if (isSquawkIgnore(comment.text)) {
      problems.push(
        waiverProblemAt(
          `${label}:${line} squawk-ignore silences a rule without a reason.`,
          `Write ${WAIVER_SYNTAX} instead.`,
        ),
      );
      continue;
    }
    const waiver = parseWaiver(comment.text);
    if (!waiver) continue;
    if ("problem" in waiver) {
      problems.push(waiverProblemAt(`${label}:${line} the waiver ${waiver.problem}.`));
      continue;
    }
    const statement = statementAt(syntax.statements, comment.start);
    waivers.push({ statement, rules: waiver.rules, where: `${label}:${line}`, used: new Set() });
  }

  for (const { line, column, rule, message } of findings) {
    const statement = statementAt(syntax.statements, byteOffset(source, line, column));
    if (statement?.table && createdEarlier(syntax.statements, statement)) continue;
    const waiver = waivers.find(
      (w) => w.statement && w.statement === statement && w.rules.includes(rule),
    );
    if (waiver) {
      waiver.used.add(rule);
      continue;
    }
    const hash = statement ? ` [statement ${statementHash(source, statement)}]` : "";
    problems.push(finding(`${label}:${line + 1}`, rule, message + hash));
  }

  for (const waiver of waivers) {
    const unused = waiver.rules.filter((rule) => !waiver.used.has(rule));
    if (unused.length > 0) {
      problems.push(
        waiverProblemAt(
          `${waiver.where} the waiver for ${unused.join(", ")} excuses nothing: its statement breaks no such rule.`,
          "Put the waiver on the statement it excuses, or remove it.",
        ),
      );
    }
  }
  return problems;
}

export async function lintMigrationFolder(
  folder: string,
  label: string,
  listed: readonly ListedWaiver[] = LISTED_WAIVERS,
): Promise<MigrationCheckProblem[]> {
  const files = readdirSync(folder)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  const problems: MigrationCheckProblem[] = listed
    .filter((entry) => !files.includes(entry.file))
    .map((entry) =>
      waiverProblemAt(
        `${LISTED_AT}: a waiver names ${label}/${entry.file}, which does not exist.`,
        "Correct or remove the entry.",
      ),
    );
  const sources = new Map(files.map((file) => [file, readFileSync(path.join(folder, file))]));
  // A `-- no-transaction` file runs outside the batch transaction.
  const outside = files.filter((file) => isNoTransaction([String(sources.get(file))]));
  const inside = files.filter((file) => !outside.includes(file));
  const findings = [
    ...(await lintWithSquawk(inside, { cwd: folder, inTransaction: true })),
    ...(await lintWithSquawk(outside, { cwd: folder, inTransaction: false })),
  ].filter((found) => found.rule in RULES);

  for (const file of files) {
    const source = sources.get(file) ?? Buffer.alloc(0);
    const own = findings.filter((found) => found.file === file);
    const ownListed = listed.filter((entry) => entry.file === file);
    const text = source.toString("utf8");
    // Parsing costs a squawk run: only files with something to judge need it.
    const comments = text.includes("lint-waiver") || text.includes("squawk-ignore");
    if (own.length === 0 && ownListed.length === 0 && !comments) continue;
    const syntax = migrationSyntax(await parseWithSquawk(file, folder), source);
    problems.push(...judgeFile(`${label}/${file}`, source, syntax, own, ownListed));
  }
  return problems;
}
