import { createRequire } from "node:module";
import { APP_POSTGRES } from "@/lib/db/migrations-config";
import { runCommand } from "../../cli/run-command";

/**
 * The squawk CLI (npm `squawk-cli`, a Rust binary shipped in a per-platform npm package): the
 * Postgres parser and the rules. This module only runs it and reads what it prints.
 */

/** Rules judge for the lowest Postgres major the app supports, which its migrator settings enforce. */
const PG_VERSION = `${APP_POSTGRES.major}.0`;

export interface SquawkFinding {
  /** As given to squawk: relative to the folder it ran in. */
  file: string;
  /** 0-based, as squawk reports it. */
  line: number;
  column: number;
  rule: string;
  message: string;
}

interface SquawkJsonViolation {
  file: string;
  line: number;
  column: number;
  message: string;
  help: string | null;
  rule_name: string;
}

function squawkBinary(): string {
  // squawk-cli's own resolver, which names the missing platform package if there is none.
  const require = createRequire(import.meta.url);
  const { getBinaryPath } = require("squawk-cli/js/index.js") as { getBinaryPath(): string };
  return getBinaryPath();
}

async function squawk(args: string[], cwd: string): Promise<string> {
  const run = await runCommand(squawkBinary(), args, { cwd, timeoutMs: 60_000 });
  // Exit 1 means "found something"; anything else is squawk failing.
  if (run.timedOut || (run.code !== 0 && run.code !== 1)) {
    throw new Error(`squawk ${args.join(" ")} failed (exit ${run.code}):\n${run.output}`);
  }
  return run.stdout;
}

/**
 * Lints `files` (relative to `cwd`) with every squawk rule, judged for PG_VERSION; the caller
 * picks the rules it enforces. `inTransaction`: the migrator wraps each file in a transaction,
 * which lets squawk accept statements on a table created earlier in the same file.
 */
export async function lintWithSquawk(
  files: readonly string[],
  options: { cwd: string; inTransaction: boolean },
): Promise<SquawkFinding[]> {
  if (files.length === 0) return [];
  const args = [
    `--pg-version=${PG_VERSION}`,
    "--reporter=json",
    options.inTransaction ? "--assume-in-transaction" : "--no-assume-in-transaction",
    ...files,
  ];
  const violations = JSON.parse(await squawk(args, options.cwd)) as SquawkJsonViolation[];
  return violations.map((v) => ({
    file: v.file,
    line: v.line,
    column: v.column,
    rule: v.rule_name,
    message: v.help ? `${v.message} ${v.help}` : v.message,
  }));
}

/** A node of squawk's concrete syntax tree; offsets are UTF-8 byte offsets into the file. */
export interface SyntaxNode {
  kind: string;
  start: number;
  end: number;
  children: SyntaxNode[];
}

const TREE_LINE = /^( *)([A-Z_0-9]+)@(\d+)\.\.(\d+)/;

/**
 * squawk's parse tree of one file (`--debug parse`): one line per node, indented two spaces per
 * level, `KIND@start..end`. Error lines (no range) are skipped: the lint reports syntax errors.
 */
export async function parseWithSquawk(file: string, cwd: string): Promise<SyntaxNode> {
  const text = await squawk(["--debug", "parse", file], cwd);
  const root: SyntaxNode = { kind: "ROOT", start: 0, end: 0, children: [] };
  const open: SyntaxNode[] = [root];
  for (const line of text.split("\n")) {
    const match = TREE_LINE.exec(line);
    if (!match) continue;
    const [, indent = "", kind = "", start = "0", end = "0"] = match;
    const depth = indent.length / 2;
    const node: SyntaxNode = { kind, start: Number(start), end: Number(end), children: [] };
    open.length = Math.min(open.length, depth + 1);
    open.at(-1)?.children.push(node);
    open.push(node);
  }
  const file0 = root.children[0];
  if (!file0) throw new Error(`squawk printed no parse tree for ${file}:\n${text}`);
  return file0;
}
