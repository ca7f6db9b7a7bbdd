import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isNoTransaction, migrationSqlFiles } from "drizzle-boot-migrator/folder";
import type { MigrationCheckProblem } from "../check";
import { ColumnTypes, type Range } from "./column-types";
import { unwrapDuplicateObjectBlocks } from "./do-wrappers";
import { LISTED_AT, type ListedWaiver } from "./listed-waivers";
import { refusalFindings } from "./refusals";
import { docsLink, RULES, ruleFix } from "./rules";
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
 * same file let through, type changes that only relabel a column let through (column-types.ts),
 * statements inside drizzle-kit's `DO $$ ... duplicate_object` wrappers linted as if they stood
 * alone (do-wrappers.ts), what the migrator refuses in a pending migration (refusals.ts), and
 * waivers that must give a reason: inline, or for committed migrations in the listed waivers
 * (listed-waivers.ts), the only ones that can excuse what the migrator refuses. A finding repeated in several places is
 * reported once, with the list of places.
 */

const CHECK = "migration lint" as const;

/** A statement that breaks an enforced rule, and nothing waives. */
export interface LintFinding {
  /** The file relative to the folder: `<tag>.sql`, or `<name>/migration.sql` in 1.0's layout. */
  file: string;
  /** 1-based. */
  line: number;
  rule: string;
  message: string;
  /** The statement's hash, which a listed waiver names; absent when squawk found no statement. */
  statement?: string;
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
    const problem = waiverProblem(entry.rules, entry.reason, "listed");
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

/** One file's findings (already limited to enforced rules) judged against its own syntax. */
function judgeFile(
  file: string,
  label: string,
  source: Buffer,
  syntax: MigrationSyntax,
  findings: readonly SquawkFinding[],
  listed: readonly ListedWaiver[],
  relabels: readonly Range[],
): { findings: LintFinding[]; problems: MigrationCheckProblem[] } {
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

  const kept: LintFinding[] = [];
  for (const { line, column, rule, message } of findings) {
    const offset = byteOffset(source, line, column);
    const statement = statementAt(syntax.statements, offset);
    if (statement?.table && createdEarlier(syntax.statements, statement)) continue;
    const relabel = (range: Range) => range.start <= offset && offset < range.end;
    if (rule === "changing-column-type" && relabels.some(relabel)) continue;
    const waiver = waivers.find(
      (w) => w.statement && w.statement === statement && w.rules.includes(rule),
    );
    if (waiver) {
      waiver.used.add(rule);
      continue;
    }
    const hash = statement ? { statement: statementHash(source, statement) } : {};
    kept.push({ file, line: line + 1, rule, message, ...hash });
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
  return { findings: kept, problems };
}

/**
 * Each file as the linter reads it: drizzle-kit's DO wrappers blanked out. Where any file has
 * one, squawk reads copies in a temporary folder, removed by `cleanUp`.
 */
function lintViews(
  folder: string,
  sources: Map<string, Buffer>,
): { views: Map<string, Buffer>; cwd: string; cleanUp(): void } {
  const views = new Map(
    [...sources].map(([file, source]) => [file, unwrapDuplicateObjectBlocks(source)]),
  );
  if ([...views].every(([file, view]) => view === sources.get(file))) {
    return { views, cwd: folder, cleanUp() {} };
  }
  const cwd = mkdtempSync(path.join(tmpdir(), "migration-lint-"));
  for (const [file, view] of views) {
    mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
    writeFileSync(path.join(cwd, file), view);
  }
  return { views, cwd, cleanUp: () => rmSync(cwd, { recursive: true, force: true }) };
}

/**
 * What the linter finds in the migrations of `folder` (shown as `label/<file>`), in either
 * drizzle-kit layout (`migrationSqlFiles`): findings nothing waives, and problems with the
 * waivers themselves.
 */
export async function lintFolder(
  folder: string,
  label: string,
  listed: readonly ListedWaiver[],
): Promise<{ findings: LintFinding[]; problems: MigrationCheckProblem[] }> {
  const files = migrationSqlFiles(folder);
  const problems: MigrationCheckProblem[] = listed
    .filter((entry) => !files.includes(entry.file))
    .map((entry) =>
      waiverProblemAt(
        `${LISTED_AT}: a waiver names ${label}/${entry.file}, which does not exist.`,
        "Correct or remove the entry.",
      ),
    );
  const sources = new Map(files.map((file) => [file, readFileSync(path.join(folder, file))]));
  const { views, cwd, cleanUp } = lintViews(folder, sources);
  try {
    // A `-- no-transaction` file runs outside the batch transaction.
    const outside = files.filter((file) => isNoTransaction([String(sources.get(file))]));
    const inside = files.filter((file) => !outside.includes(file));
    const squawkFindings = [
      ...(await lintWithSquawk(inside, { cwd, inTransaction: true })),
      ...(await lintWithSquawk(outside, { cwd, inTransaction: false })),
    ].filter((found) => found.rule in RULES);

    const types = new ColumnTypes();
    const findings: LintFinding[] = [];
    for (const file of files) {
      const source = sources.get(file) ?? Buffer.alloc(0);
      const relabels = types.follow(String(views.get(file)));
      const own = [
        ...squawkFindings.filter((found) => found.file === file),
        ...refusalFindings(file, source),
      ];
      const ownListed = listed.filter((entry) => entry.file === file);
      const text = source.toString("utf8");
      // Parsing costs a squawk run: only files with something to judge need it.
      const comments = text.includes("lint-waiver") || text.includes("squawk-ignore");
      if (own.length === 0 && ownListed.length === 0 && !comments) continue;
      const syntax = migrationSyntax(await parseWithSquawk(file, cwd), source);
      const judged = judgeFile(file, `${label}/${file}`, source, syntax, own, ownListed, relabels);
      findings.push(...judged.findings);
      problems.push(...judged.problems);
    }
    return { findings, problems };
  } finally {
    cleanUp();
  }
}

const place = (label: string, found: LintFinding) =>
  `${label}/${found.file}:${found.line}${found.statement ? ` [statement ${found.statement}]` : ""}`;

/**
 * Findings as db:check reports them: one problem per rule and message, naming its one place, or
 * giving the explanation once and then every place.
 */
export function describeFindings(
  findings: readonly LintFinding[],
  label: string,
): MigrationCheckProblem[] {
  const groups = new Map<string, LintFinding[]>();
  for (const found of findings) {
    const key = `${found.rule}\n${found.message}`;
    groups.set(key, [...(groups.get(key) ?? []), found]);
  }
  return [...groups.values()].map((group) => {
    const [{ rule, message, file, line, statement }] = group as [LintFinding];
    const fix = ruleFix(rule);
    if (group.length === 1) {
      const hash = statement ? ` [statement ${statement}]` : "";
      return { check: CHECK, problem: `${label}/${file}:${line} [${rule}] ${message}${hash}`, fix };
    }
    const places = group.map((found) => `\n    ${place(label, found)}`).join("");
    return {
      check: CHECK,
      problem: `[${rule}] ${message} In ${group.length} places:${places}`,
      fix,
    };
  });
}

export async function lintMigrationFolder(
  folder: string,
  label: string,
  listed: readonly ListedWaiver[],
): Promise<MigrationCheckProblem[]> {
  const { findings, problems } = await lintFolder(folder, label, listed);
  return [...problems, ...describeFindings(findings, label)];
}
