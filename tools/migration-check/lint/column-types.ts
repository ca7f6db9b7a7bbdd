import { splitStatements, type Token, tokenValue } from "drizzle-boot-migrator/folder";

/**
 * Which `ALTER COLUMN ... TYPE` changes need no rewrite. squawk flags every type change as one
 * that rewrites the table under ACCESS EXCLUSIVE, but Postgres only relabels the column when the
 * old type is binary-coercible to the new one and every old value fits (a wider varchar, varchar
 * to text, a wider numeric precision, ...): the lock is then held for a moment and no row is read.
 * Knowing the old type takes the migrations before: this follows each column's declared type
 * through CREATE TABLE, ADD/ALTER/DROP/RENAME COLUMN, RENAME TO and DROP TABLE, file by file. A
 * column it cannot follow (created outside the folder, a USING or COLLATE clause) keeps its finding.
 */

/** A declared type: `varchar(64)` → `{ name: "varchar", modifiers: [64], array: false }`. */
interface ColumnType {
  name: string;
  modifiers: number[];
  array: boolean;
}

/** A byte range of a file: one `ALTER [COLUMN] c [SET DATA] TYPE t` that needs no rewrite. */
export interface Range {
  start: number;
  end: number;
}

const ALIASES: Readonly<Record<string, string>> = {
  "character varying": "varchar",
  "char varying": "varchar",
  "timestamp without time zone": "timestamp",
  "timestamp with time zone": "timestamptz",
  "time without time zone": "time",
  "time with time zone": "timetz",
  decimal: "numeric",
  "bit varying": "varbit",
};

/** Types whose single modifier is a maximum (length, precision): a larger one, or none, fits every value. */
const WIDENS = new Set(["varchar", "varbit", "timestamp", "timestamptz", "time", "timetz"]);

function parseType(tokens: Token[]): ColumnType | undefined {
  const words: string[] = [];
  const modifiers: number[] = [];
  let array = false;
  let depth = 0;
  for (const token of tokens) {
    if (token.text === "(") depth += 1;
    else if (token.text === ")") depth -= 1;
    else if (token.text === "[") array = true;
    else if (depth > 0 && /^\d+$/.test(token.text)) modifiers.push(Number(token.text));
    else if (depth === 0 && (token.kind === "word" || token.kind === "identifier")) {
      words.push(tokenValue(token));
    } else if (depth === 0 && token.text !== "." && token.text !== "]") return undefined;
  }
  if (words.length === 0) return undefined;
  const written = words.join(" ");
  return { name: ALIASES[written] ?? written, modifiers, array };
}

/** Whether changing `from` to `to` only relabels the column (Postgres 15's ATColumnChangeRequiresRewrite). */
function noRewrite(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  const same = from.name === to.name && from.modifiers.join() === to.modifiers.join();
  if (same) return true;
  if (from.array) return false;
  if (to.name === "text" && to.modifiers.length === 0) {
    return from.name === "varchar" || from.name === "text";
  }
  if (from.name === "text" && to.name === "varchar") return to.modifiers.length === 0;
  if (from.name === "cidr" && to.name === "inet") return true;
  if (from.name !== to.name) return false;
  const [fromSize, fromScale = 0] = from.modifiers;
  const [toSize, toScale = 0] = to.modifiers;
  if (toSize === undefined) return WIDENS.has(to.name) || to.name === "numeric";
  if (fromSize === undefined) return false;
  if (WIDENS.has(to.name)) return toSize >= fromSize;
  // numeric(p, s): more digits before the point, same scale.
  return to.name === "numeric" && toScale === fromScale && toSize >= fromSize;
}

/** Splits `tokens` at commas outside parentheses. */
function commaSeparated(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.text === "(") depth += 1;
    if (token.text === ")") depth -= 1;
    if (token.text === "," && depth === 0) parts.push([]);
    else parts.at(-1)?.push(token);
  }
  return parts.filter((part) => part.length > 0);
}

/** A possibly schema-qualified name at `tokens[at]`: its last part, and the index after it. */
function qualifiedName(tokens: Token[], at: number): { name: string; next: number } | undefined {
  let index = at;
  let name: string | undefined;
  for (let token = tokens[index]; token?.kind === "word" || token?.kind === "identifier"; ) {
    name = tokenValue(token);
    index += 1;
    if (tokens[index]?.text !== ".") break;
    index += 1;
    token = tokens[index];
  }
  return name === undefined ? undefined : { name, next: index };
}

const value = (token: Token | undefined) => (token ? tokenValue(token) : "");

/** Skips the optional words `optional` at `tokens[at]`, in that order. */
function skip(tokens: Token[], at: number, ...optional: string[][]): number {
  let index = at;
  for (const words of optional) {
    if (words.every((word, offset) => value(tokens[index + offset]) === word))
      index += words.length;
  }
  return index;
}

const TABLE_CONSTRAINT = new Set([
  "constraint",
  "primary",
  "unique",
  "check",
  "foreign",
  "exclude",
]);
const COLUMN_CONSTRAINT = new Set([
  ...TABLE_CONSTRAINT,
  "not",
  "null",
  "default",
  "references",
  "generated",
  "collate",
  "deferrable",
  "initially",
]);

/** The type of a column definition `name type [constraints]`, from the type's first token. */
function definedType(tokens: Token[]): ColumnType | undefined {
  const end = tokens.findIndex(
    (token) => token.kind === "word" && COLUMN_CONSTRAINT.has(tokenValue(token)),
  );
  return parseType(end === -1 ? tokens : tokens.slice(0, end));
}

/** Every column's declared type, by table, as the migrations read so far leave it. */
export class ColumnTypes {
  private readonly tables = new Map<string, Map<string, ColumnType>>();

  /**
   * Follows one migration file (its text, with line positions as in the file) and returns the
   * byte ranges of its type changes that need no rewrite.
   */
  follow(sql: string): Range[] {
    const ranges: Range[] = [];
    const bytes = (offset: number) => Buffer.byteLength(sql.slice(0, offset));
    for (const statement of splitStatements(sql)) {
      const [first, second] = statement.map(value);
      if (first === "create" && second === "table") this.createTable(statement);
      else if (first === "drop" && second === "table") this.dropTables(statement);
      else if (first === "alter" && second === "table") {
        for (const range of this.alterTable(statement)) {
          ranges.push({ start: bytes(range.start), end: bytes(range.end) });
        }
      }
    }
    return ranges;
  }

  private createTable(statement: Token[]): void {
    const at = skip(statement, 2, ["if", "not", "exists"]);
    const table = qualifiedName(statement, at);
    if (!table || statement[table.next]?.text !== "(") return;
    const close = statement.findLastIndex((token) => token.text === ")");
    const columns = new Map<string, ColumnType>();
    for (const element of commaSeparated(statement.slice(table.next + 1, close))) {
      const [name, ...rest] = element;
      if (!name || TABLE_CONSTRAINT.has(value(name)) || value(name) === "like") continue;
      const type = definedType(rest);
      if (type) columns.set(tokenValue(name), type);
    }
    this.tables.set(table.name, columns);
  }

  private dropTables(statement: Token[]): void {
    const at = skip(statement, 2, ["if", "exists"]);
    for (const part of commaSeparated(statement.slice(at))) {
      const table = qualifiedName(part, 0);
      if (table) this.tables.delete(table.name);
    }
  }

  /** Applies each action of an ALTER TABLE; returns the (character) ranges of relabelling type changes. */
  private alterTable(statement: Token[]): Range[] {
    const at = skip(statement, 2, ["if", "exists"], ["only"]);
    const table = qualifiedName(statement, at);
    if (!table) return [];
    const columns = this.tables.get(table.name);
    const ranges: Range[] = [];
    for (const action of commaSeparated(
      statement.slice(table.next).filter((t) => t.text !== "*"),
    )) {
      const verb = value(action[0]);
      if (verb === "rename" && value(action[1]) === "to") {
        const renamed = qualifiedName(action, 2);
        if (columns && renamed) {
          this.tables.delete(table.name);
          this.tables.set(renamed.name, columns);
        }
        continue;
      }
      if (!columns || TABLE_CONSTRAINT.has(value(action[1]))) continue;
      const column = skip(action, 1, ["column"]);
      if (verb === "add") {
        const named = skip(action, column, ["if", "not", "exists"]);
        const type = definedType(action.slice(named + 1));
        const name = action[named];
        if (name && type) columns.set(tokenValue(name), type);
      } else if (verb === "drop") {
        columns.delete(value(action[skip(action, column, ["if", "exists"])]));
      } else if (verb === "rename" && value(action[column + 1]) === "to") {
        const type = columns.get(value(action[column]));
        columns.delete(value(action[column]));
        if (type) columns.set(value(action[column + 2]), type);
      } else if (verb === "alter") {
        const range = this.typeChange(columns, action, column);
        if (range) ranges.push(range);
      }
    }
    return ranges;
  }

  /** `ALTER [COLUMN] c [SET DATA] TYPE t [COLLATE ...] [USING ...]`, from the column name at `at`. */
  private typeChange(
    columns: Map<string, ColumnType>,
    action: Token[],
    at: number,
  ): Range | undefined {
    const name = value(action[at]);
    const typeAt = skip(action, at + 1, ["set", "data"]);
    if (value(action[typeAt]) !== "type") return undefined;
    const clause = action.slice(typeAt + 1);
    const extra = clause.findIndex((token) => ["using", "collate"].includes(value(token)));
    const to = parseType(extra === -1 ? clause : clause.slice(0, extra));
    const from = columns.get(name);
    if (!to) {
      columns.delete(name);
      return undefined;
    }
    columns.set(name, to);
    const first = action[0];
    const last = action.at(-1);
    if (extra !== -1 || !from || !first || !last || !noRewrite(from, to)) return undefined;
    return { start: first.start, end: last.start + last.text.length };
  }
}
