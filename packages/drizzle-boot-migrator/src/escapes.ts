/**
 * SQL by which a migration would escape what the migrator guarantees around it: the batch's one
 * transaction, the migration lock, and the timeouts it sets. Statements are found with the lexer
 * (sql-tokens.ts), never by a pattern over the raw text. README.md#transaction_control
 * and #session_control say what each refusal means and how to get out of it.
 */
import { BREAKPOINT } from "./drizzle-0.45/format.ts";
import {
  definesRoutine,
  type Statement,
  splitStatements,
  type Token,
  tokenize,
  tokenValue,
} from "./sql-tokens.ts";

/**
 * - `transaction`: BEGIN, COMMIT, ROLLBACK, ... at top level. Never allowed: in the batch, what
 *   follows a COMMIT runs without the lock, the timeouts and the all-or-nothing transaction, and a
 *   failure then leaves a half-applied migration with no ledger row; in a `-- no-transaction`
 *   migration, which runs each statement on its own, a BEGIN would hold its session idle in a
 *   transaction between statements, a state its runner's timeouts and checks do not expect.
 * - `timeouts`: SET/RESET (or set_config) of the timeouts the migrator sets. SET LOCAL included:
 *   the pending migrations share one transaction, so it outlives its file.
 * - `session-reset`: RESET ALL and DISCARD, which drop the migrator's settings too.
 * - `role`: SET ROLE / SET SESSION AUTHORIZATION (and RESET, set_config), under which the rest of
 *   the batch and the ledger insert would run.
 * - `advisory-unlock`: pg_advisory_unlock*(), which can release the migrator's session-level lock
 *   (held during a `-- no-transaction` migration).
 */
export type EscapeKind = "transaction" | "timeouts" | "session-reset" | "role" | "advisory-unlock";

/** The kinds a file may opt into with {@link ALLOW_MARKER}; transaction statements are not one. */
export const ALLOWABLE_KINDS: readonly EscapeKind[] = [
  "timeouts",
  "session-reset",
  "role",
  "advisory-unlock",
];

/** `-- migrator-allow <kind>[, <kind>...]: <reason>`, on a line of its own anywhere in the file. */
export const ALLOW_MARKER = "-- migrator-allow";
const ALLOW_LINE = /^--\s*migrator-allow\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*:\s*\S/;

export interface Escape {
  kind: EscapeKind;
  /** 1-based line in the file. */
  line: number;
  /** Where the offending text starts: a character offset in the file's text (the chunks joined). */
  offset: number;
  /** The offending statement (for a call, from the call to the end of its statement). */
  text: string;
}

const TIMEOUTS = new Set([
  "lock_timeout",
  "statement_timeout",
  "idle_in_transaction_session_timeout",
]);
const ROLE_SETTINGS = new Set(["role", "session_authorization"]);
const TRANSACTION_WORDS = new Set([
  "begin",
  "commit",
  "end",
  "rollback",
  "abort",
  "savepoint",
  "release",
]);

const words = (statement: Token[], count: number) =>
  statement.slice(0, count).map((token) => (token.kind === "word" ? tokenValue(token) : ""));

/** What a top-level statement (or one in a DO body, `plpgsql`) escapes, if anything. */
function statementKind(statement: Token[], plpgsql: boolean): EscapeKind | undefined {
  const [first, second, third] = words(statement, 3);
  // In PL/pgSQL, BEGIN/END delimit blocks, and Postgres itself refuses COMMIT in a DO block
  // that runs inside a transaction ("invalid transaction termination").
  if (!plpgsql) {
    if (first && TRANSACTION_WORDS.has(first)) return "transaction";
    if ((first === "start" || first === "prepare") && second === "transaction") {
      return "transaction";
    }
  }
  if (first === "discard" || (first === "reset" && second === "all")) return "session-reset";
  if (first !== "set" && first !== "reset") return undefined;
  // SESSION is a scope, except in SET SESSION AUTHORIZATION.
  const scoped =
    first === "set" && (second === "local" || second === "session") && third !== "authorization";
  const nameToken = statement[scoped ? 2 : 1];
  const name = nameToken && nameToken.kind !== "string" ? tokenValue(nameToken) : "";
  if (TIMEOUTS.has(name)) return "timeouts";
  if (name === "role") return "role";
  const after = scoped ? words(statement, 4)[3] : third;
  if (name === "session" && after === "authorization") return "role";
  return undefined;
}

/** A call anywhere in `tokens`: pg_advisory_unlock*(), or set_config() of a guarded setting. */
function callKinds(tokens: Token[]): { kind: EscapeKind; token: Token }[] {
  const found: { kind: EscapeKind; token: Token }[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== "word" || tokens[index + 1]?.text !== "(") return;
    const name = tokenValue(token);
    if (name.startsWith("pg_advisory_unlock")) found.push({ kind: "advisory-unlock", token });
    const argument = tokens[index + 2];
    if (name !== "set_config" || argument?.kind !== "string") return;
    const setting = tokenValue(argument).toLowerCase();
    if (TIMEOUTS.has(setting)) found.push({ kind: "timeouts", token });
    if (ROLE_SETTINGS.has(setting)) found.push({ kind: "role", token });
  });
  return found;
}

const PLPGSQL_STATEMENT_START = new Set([";", "begin", "then", "else", "loop"]);

/**
 * A DO body cut where PL/pgSQL can start a statement (after `;`, BEGIN, THEN, ELSE, LOOP): enough
 * to see a SET or a call, not a parser.
 */
function plpgsqlStatements(body: string): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  for (const token of tokenize(body)) {
    if (token.kind === "space" || token.kind === "comment") continue;
    current.push(token);
    if (PLPGSQL_STATEMENT_START.has(tokenValue(token))) {
      statements.push(current);
      current = [];
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/**
 * Every escape in a migration file (`chunks` as drizzle splits it on `--> statement-breakpoint`),
 * except the kinds the file opts into.
 */
export function findEscapes(chunks: readonly string[]): Escape[] {
  const text = chunks.join(BREAKPOINT);
  const allowed = new Set<EscapeKind>();
  for (const token of tokenize(text)) {
    const kinds = token.kind === "comment" ? ALLOW_LINE.exec(token.text)?.[1] : undefined;
    for (const kind of kinds?.split(",") ?? []) {
      const named = ALLOWABLE_KINDS.find((allowable) => allowable === kind.trim());
      if (named) allowed.add(named);
    }
  }
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const escapes: Escape[] = [];
  const add = (kind: EscapeKind, from: number, to: number) => {
    if (allowed.has(kind)) return;
    escapes.push({ kind, line: lineOf(from), offset: from, text: text.slice(from, to) });
  };
  const check = (statement: Statement, offset: number, plpgsql: boolean) => {
    const first = statement[0];
    const last = statement.at(-1);
    if (!first || !last) return;
    const end = offset + last.start + last.text.length;
    const kind = statementKind(statement, plpgsql);
    if (kind) add(kind, offset + first.start, end);
    // A function's body (BEGIN ATOMIC ... END) runs when it is called, not now.
    if (definesRoutine(statement)) return;
    for (const call of callKinds(statement)) add(call.kind, offset + call.token.start, end);
  };
  // drizzle sends each chunk as one query, so a chunk boundary always ends a statement.
  let chunkStart = 0;
  for (const chunk of chunks) {
    for (const statement of splitStatements(chunk)) {
      check(statement, chunkStart, false);
      if (statement[0] && tokenValue(statement[0]) !== "do") continue;
      // A DO body runs now, inside the batch: look into it (a function body runs only when called).
      for (const body of statement.filter((token) => token.kind === "dollar")) {
        const offset = chunkStart + body.start + (/^\$[^$]*\$/.exec(body.text)?.[0].length ?? 2);
        for (const inner of plpgsqlStatements(tokenValue(body))) check(inner, offset, true);
      }
    }
    chunkStart += chunk.length + BREAKPOINT.length;
  }
  return escapes;
}
