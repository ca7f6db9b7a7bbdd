import type { SyntaxNode } from "./squawk";

/** What the linter needs to know about one top-level statement of a migration file. */
export interface Statement {
  /** UTF-8 byte range in the file. */
  start: number;
  end: number;
  /** The table it creates, alters, drops or indexes, lower-cased unless quoted; schema dropped. */
  table?: string;
  creates: boolean;
}

interface Comment {
  start: number;
  text: string;
}

export interface MigrationSyntax {
  statements: Statement[];
  comments: Comment[];
}

const TRIVIA = new Set(["WHITESPACE", "COMMENT", "SEMICOLON", "ERROR"]);
// The first of these in a statement names its subject: ALTER TABLE, CREATE INDEX ... ON, DROP TABLE.
const TABLE_NAMES = new Set(["TABLE_NAME", "TABLE_RELATION_NAME", "TABLE_NAME_REF"]);

function* descendants(node: SyntaxNode): Generator<SyntaxNode> {
  for (const child of node.children) {
    yield child;
    yield* descendants(child);
  }
}

/** `"Users"` → `Users`, `Users` → `users`: how Postgres folds identifiers. */
function identifier(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text.toLowerCase();
}

function subjectTable(statement: SyntaxNode, source: Buffer): string | undefined {
  for (const node of descendants(statement)) {
    if (!TABLE_NAMES.has(node.kind)) continue;
    // `schema.table`: the last identifier is the table.
    const last = [...descendants(node)].filter((n) => n.kind === "IDENT").at(-1);
    return last ? identifier(source.subarray(last.start, last.end).toString("utf8")) : undefined;
  }
  return undefined;
}

export function migrationSyntax(tree: SyntaxNode, source: Buffer): MigrationSyntax {
  const statements = tree.children
    .filter((node) => !TRIVIA.has(node.kind))
    .map((node) => ({
      start: node.start,
      end: node.end,
      table: subjectTable(node, source),
      creates: node.kind.startsWith("CREATE_TABLE"),
    }));
  const comments = [...descendants(tree)]
    .filter((node) => node.kind === "COMMENT")
    .map((node) => ({
      start: node.start,
      text: source.subarray(node.start, node.end).toString("utf8"),
    }));
  return { statements, comments };
}

/** The statement a position belongs to: the one containing it, else the next one. */
export function statementAt(
  statements: readonly Statement[],
  offset: number,
): Statement | undefined {
  return statements.find((statement) => offset < statement.end);
}

/** UTF-8 byte offset of a 0-based line and column (squawk's positions). */
export function byteOffset(source: Buffer, line: number, column: number): number {
  let offset = 0;
  for (let seen = 0; seen < line; seen++) {
    const newline = source.indexOf(10, offset);
    if (newline === -1) return source.length;
    offset = newline + 1;
  }
  return offset + column;
}

/** 1-based line of a byte offset, for messages. */
export function lineOf(source: Buffer, offset: number): number {
  let line = 1;
  for (let i = source.indexOf(10); i !== -1 && i < offset; i = source.indexOf(10, i + 1)) line++;
  return line;
}
