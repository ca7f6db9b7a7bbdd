/**
 * A lexer for Postgres SQL, just deep enough to tell code from text: string literals (with `''`,
 * and backslash escapes in `E'...'`), double-quoted identifiers, dollar-quoted bodies, `--` and
 * (nested) block comments. Validation and the lint judge statements by their keywords, and a
 * keyword inside any of those is not one: `BEGIN ... END` in a `DO $$ ... $$` body is PL/pgSQL,
 * `'commit'` is a string.
 */

export type TokenKind =
  | "word"
  | "string"
  | "identifier"
  | "dollar"
  | "comment"
  | "space"
  | "symbol";

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token's first character in the text given to `tokenize`. */
  start: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff0-9]/;
const WORD_PART = /[\w$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/;

/** Every character of `sql` belongs to exactly one token; an unterminated quote runs to the end. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const endOf = (end: string, from: number) => {
    const found = sql.indexOf(end, from);
    return found === -1 ? sql.length : found + end.length;
  };
  /** End of a quoted run starting at `from` (the opening quote), a doubled quote escaping one. */
  const quotedEnd = (quote: string, from: number, backslashes: boolean) => {
    let at = from + 1;
    while (at < sql.length) {
      const char = sql[at];
      if (backslashes && char === "\\") at += 2;
      else if (char !== quote) at += 1;
      else if (sql[at + 1] === quote) at += 2;
      else return at + 1;
    }
    return sql.length;
  };
  /** End of a block comment starting at `from`; Postgres nests them. */
  const blockCommentEnd = (from: number) => {
    let depth = 0;
    let at = from;
    while (at < sql.length) {
      if (sql.startsWith("/*", at)) {
        depth += 1;
        at += 2;
      } else if (sql.startsWith("*/", at)) {
        depth -= 1;
        at += 2;
        if (depth === 0) return at;
      } else at += 1;
    }
    return sql.length;
  };
  while (index < sql.length) {
    const char = sql[index] ?? "";
    let kind: TokenKind;
    let end: number;
    if (/\s/.test(char)) {
      kind = "space";
      end = index + 1;
      while (end < sql.length && /\s/.test(sql[end] ?? "")) end += 1;
    } else if (sql.startsWith("--", index)) {
      kind = "comment";
      const newline = sql.indexOf("\n", index);
      end = newline === -1 ? sql.length : newline;
    } else if (sql.startsWith("/*", index)) {
      kind = "comment";
      end = blockCommentEnd(index);
    } else if (char === "'") {
      kind = "string";
      end = quotedEnd("'", index, false);
    } else if (/[eE]/.test(char) && sql[index + 1] === "'") {
      kind = "string";
      end = quotedEnd("'", index + 1, true);
    } else if (char === '"') {
      kind = "identifier";
      end = quotedEnd('"', index, false);
    } else if (char === "$" && DOLLAR_TAG.test(sql.slice(index, index + 64))) {
      const tag = DOLLAR_TAG.exec(sql.slice(index))?.[0] ?? "$$";
      kind = "dollar";
      end = endOf(tag, index + tag.length);
    } else if (WORD_START.test(char)) {
      kind = "word";
      end = index + 1;
      while (end < sql.length && WORD_PART.test(sql[end] ?? "")) end += 1;
    } else {
      kind = "symbol";
      end = index + 1;
    }
    tokens.push({ kind, text: sql.slice(index, end), start: index });
    index = end;
  }
  return tokens;
}

/** A top-level statement: its tokens without spaces and comments, never empty. */
export type Statement = Token[];

const FUNCTION_HEAD = /^create (?:or replace )?(?:function|procedure)\b/;

/** Whether the statement (its first tokens) is CREATE [OR REPLACE] FUNCTION/PROCEDURE. */
export function definesRoutine(statement: readonly Token[]): boolean {
  const head = statement
    .slice(0, 5)
    .map((part) => part.text.toLowerCase())
    .join(" ");
  return FUNCTION_HEAD.test(head);
}

/**
 * `sql` cut into statements at each `;` outside parentheses. The body of a SQL-standard function
 * (`CREATE FUNCTION ... BEGIN ATOMIC ...; ...; END`) is not dollar-quoted, so its semicolons are
 * skipped the way psql does (psqlscan.l): inside a CREATE FUNCTION/PROCEDURE, BEGIN opens a
 * level, CASE opens one once inside, END closes one.
 */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  let depth = 0;
  let beginDepth = 0;
  for (const token of tokenize(sql)) {
    if (token.kind === "space" || token.kind === "comment") continue;
    if (token.kind === "symbol" && token.text === ";" && depth === 0 && beginDepth === 0) {
      if (current.length > 0) statements.push(current);
      current = [];
      continue;
    }
    current.push(token);
    if (token.text === "(") depth += 1;
    else if (token.text === ")") depth = Math.max(0, depth - 1);
    else if (token.kind === "word" && depth === 0) {
      if (!definesRoutine(current)) continue;
      const word = token.text.toLowerCase();
      if (word === "begin") beginDepth += 1;
      else if (word === "case" && beginDepth > 0) beginDepth += 1;
      else if (word === "end" && beginDepth > 0) beginDepth -= 1;
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** The value of a string or quoted-identifier token; a word's text in lower case (as Postgres folds it). */
export function tokenValue(token: Token): string {
  switch (token.kind) {
    case "word":
      return token.text.toLowerCase();
    case "identifier":
      return token.text.slice(1, -1).replaceAll('""', '"');
    case "string":
      return token.text.replace(/^[eE]/, "").slice(1, -1).replaceAll("''", "'");
    case "dollar": {
      const tag = DOLLAR_TAG.exec(token.text)?.[0] ?? "$$";
      return token.text.slice(tag.length, token.text.length - tag.length);
    }
    default:
      return token.text;
  }
}
