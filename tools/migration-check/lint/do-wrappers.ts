import { splitStatements, type Token, tokenize, tokenValue } from "drizzle-boot-migrator/folder";

/**
 * drizzle-kit before 0.30 wrapped each foreign key (and enum) in a PL/pgSQL block, so that a
 * second run would not fail on it:
 *
 *   DO $$ BEGIN
 *    ALTER TABLE "posts" ADD CONSTRAINT "posts_user_fk" FOREIGN KEY ... ;
 *   EXCEPTION
 *    WHEN duplicate_object THEN null;
 *   END $$;
 *
 * squawk sees one DO statement with a string body and lints nothing inside. The statement inside
 * runs now and takes its locks as if it stood alone, so the linter reads it as standing alone:
 * {@link unwrapDuplicateObjectBlocks} blanks the wrapper out, byte for byte, leaving the inner
 * statements where they are (same lines, columns and byte offsets as in the file).
 */

/** What drizzle-kit put in such a block; a body with anything else is someone's PL/pgSQL. */
const WRAPPED_STATEMENT_START = new Set(["alter", "create"]);

const code = (tokens: Token[]) =>
  tokens.filter((token) => token.kind !== "space" && token.kind !== "comment");

/** The dollar-quoted body of `DO [LANGUAGE plpgsql] $$...$$ [LANGUAGE plpgsql]`, if that is the statement. */
function doBody(statement: Token[]): Token | undefined {
  const words = statement.map((token) => (token.kind === "word" ? tokenValue(token) : token.text));
  if (words[0] !== "do") return undefined;
  const rest = statement.slice(1);
  const body = rest.find((token) => token.kind === "dollar");
  const others = words.slice(1).filter((_, index) => rest[index] !== body);
  const plainDo = others.length === 0;
  const withLanguage = others.length === 2 && others[0] === "language" && others[1] === "plpgsql";
  return body && (plainDo || withLanguage) ? body : undefined;
}

/**
 * Where the wrapped statements are inside a DO body (offsets into the body text), when the body
 * is exactly `BEGIN <statements> EXCEPTION WHEN duplicate_object [OR ...] THEN null; END [;]`.
 */
function wrappedRange(body: string): { start: number; end: number } | undefined {
  const tokens = code(tokenize(body));
  const values = tokens.map(tokenValue);
  const exception = values.lastIndexOf("exception");
  if (values[0] !== "begin" || exception < 2) return undefined;
  const handler = values.slice(exception + 1);
  if (handler.at(-1) === ";") handler.pop();
  const then = handler.indexOf("then");
  const conditions = handler.slice(1, then).filter((value) => value !== "or");
  const shape =
    handler[0] === "when" &&
    conditions.includes("duplicate_object") &&
    handler.slice(then).join(" ") === "then null ; end";
  if (!shape) return undefined;
  const begin = tokens[0];
  const handlerStart = tokens[exception];
  if (!begin || !handlerStart) return undefined;
  const start = begin.start + begin.text.length;
  const inner = splitStatements(body.slice(start, handlerStart.start));
  const ownStatements = inner.every((statement) => {
    const first = statement[0];
    return first?.kind === "word" && WRAPPED_STATEMENT_START.has(tokenValue(first));
  });
  return inner.length > 0 && ownStatements ? { start, end: handlerStart.start } : undefined;
}

/** `text` with every character of [from, to) but line breaks turned into as many spaces as its UTF-8 bytes. */
function blank(text: string, from: number, to: number): string {
  const spaces = [...text.slice(from, to)]
    .map((char) => (char === "\n" || char === "\r" ? char : " ".repeat(Buffer.byteLength(char))))
    .join("");
  return text.slice(0, from) + spaces + text.slice(to);
}

/**
 * `source` with each drizzle-kit `DO $$ BEGIN ... EXCEPTION WHEN duplicate_object ...` wrapper
 * blanked out, so the statements inside stand alone at their own positions; the same bytes when
 * there is none.
 */
export function unwrapDuplicateObjectBlocks(source: Buffer): Buffer {
  let text = source.toString("utf8");
  const wrappers: { from: number; to: number }[] = [];
  for (const statement of splitStatements(text)) {
    const body = doBody(statement);
    const first = statement[0];
    const last = statement.at(-1);
    if (!body || !first || !last) continue;
    const tag = /^\$[^$]*\$/.exec(body.text)?.[0] ?? "$$";
    const range = wrappedRange(tokenValue(body));
    if (!range) continue;
    const bodyStart = body.start + tag.length;
    // The `;` ending the DO statement goes too: the inner statements end with their own.
    const after = code(tokenize(text.slice(last.start + last.text.length)))[0];
    const end = last.start + last.text.length;
    const to = after?.text === ";" ? end + after.start + 1 : end;
    wrappers.push({ from: first.start, to: bodyStart + range.start });
    wrappers.push({ from: bodyStart + range.end, to });
  }
  if (wrappers.length === 0) return source;
  for (const { from, to } of wrappers) text = blank(text, from, to);
  return Buffer.from(text, "utf8");
}
