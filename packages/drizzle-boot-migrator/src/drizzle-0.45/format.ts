/**
 * Everything the migrator relies on in drizzle-orm 0.45's migrator: the journal format, the ledger
 * table and its insert, the `created_at` watermark that picks pending migrations, and how
 * `migrate()` opens its transaction, and that the dialect's public `migrate()` applies exactly the
 * list it is given (the README's module map lists each; the app's upgrade notes say
 * what 1.0 changes). How `migrate()` runs is in apply.ts, split off so that an
 * up-to-date boot, which only reads, never loads drizzle's dialect and query builder. An upgrade of
 * drizzle-orm changes these two files and the rules that exist because of them (validation.ts),
 * nothing else.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { type Queryable, sqlStateOf } from "../driver/port.ts";
import { MigrationError } from "../errors.ts";

/**
 * Where drizzle's ledger table is: drizzle-kit's `migrations.schema` / `migrations.table`,
 * `migrate()`'s `migrationsSchema` / `migrationsTable` (drizzle's defaults: `drizzle`,
 * `__drizzle_migrations`). The table keeps drizzle's own format, so that `drizzle-kit migrate`
 * and the migrator share it.
 */
export interface LedgerLocation {
  schema: string;
  table: string;
}

/** drizzle's default ledger, where `migrate()` and `drizzle-kit migrate` write without settings. */
export const DRIZZLE_LEDGER: LedgerLocation = { schema: "drizzle", table: "__drizzle_migrations" };

/** `"schema"."table"` as SQL writes it (quotes doubled), for messages. */
export function ledgerName({ schema, table }: LedgerLocation): string {
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return `${quote(schema)}.${quote(table)}`;
}

export interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
  breakpoints: boolean;
  /** drizzle-kit's format version ("7"); drizzle-orm does not read it. */
  version?: string;
}

/** drizzle-kit's `meta/_journal.json`: the fields drizzle-orm's migrator reads. */
export interface Journal {
  dialect: string;
  entries: JournalEntry[];
  /** drizzle-kit's format version ("7"); drizzle-orm does not read it. */
  version?: string;
}

/** The file of `folder` that lists its migrations, in order: the one drizzle-kit writes last. */
export function journalPath(folder: string): string {
  return path.join(folder, "meta", "_journal.json");
}

export class JournalFormatError extends Error {
  override name = "JournalFormatError";
}

/** What is wrong with `json` as a journal, one item per field (`entries.2.when: ...`). */
function journalIssues(json: unknown): string[] {
  const record = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!record(json)) return ["(root): expected an object"];
  const issues: string[] = [];
  if (typeof json.dialect !== "string") issues.push("dialect: expected a string");
  if (!Array.isArray(json.entries)) return [...issues, "entries: expected an array"];
  for (const [index, entry] of (json.entries as unknown[]).entries()) {
    const at = `entries.${index}`;
    if (!record(entry)) {
      issues.push(`${at}: expected an object`);
      continue;
    }
    for (const field of ["idx", "when"] as const) {
      if (!Number.isInteger(entry[field])) issues.push(`${at}.${field}: expected an integer`);
    }
    if (typeof entry.tag !== "string" || entry.tag === "") {
      issues.push(`${at}.tag: expected a non-empty string`);
    }
    if (typeof entry.breakpoints !== "boolean") {
      issues.push(`${at}.breakpoints: expected a boolean`);
    }
  }
  return issues;
}

/** `source` names the file in the error, e.g. `drizzle/meta/_journal.json`. */
export function parseJournal(text: string, source: string): Journal {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new JournalFormatError(
      `${source} is not valid JSON (${(error as Error).message}). Restore it from version control ` +
        "or resolve the merge conflict in it; drizzle-kit writes it, it is not edited by hand.",
    );
  }
  const issues = journalIssues(json);
  if (issues.length > 0) {
    throw new JournalFormatError(
      `${source} is not a drizzle-kit journal (${issues.join("; ")}). Restore it from version control.`,
    );
  }
  return json as Journal;
}

/**
 * The journal of `folder`. A missing one is a `MIGRATIONS_FOLDER` error (the folder is not
 * drizzle-kit's output); a malformed one a `JournalFormatError` naming the file.
 */
export function readJournal(folder: string): Journal {
  const file = journalPath(folder);
  if (!existsSync(file)) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `No migrations journal at ${file}. Point the migrator at drizzle-kit's output folder ` +
        "(drizzle.config's `out`, default ./drizzle next to package.json; CLI: --migrations-folder), " +
        "and make sure the build ships it.",
    );
  }
  return parseJournal(readFileSync(file, "utf8"), file);
}

/** drizzle-orm splits a migration file into chunks on this text, and runs each as one query. */
export const BREAKPOINT = "--> statement-breakpoint";

/** One migration of the folder, as drizzle-orm's `migrate()` will see it. */
export interface MigrationFile {
  /** The journal tag, also the file name without `.sql` (e.g. `0003_add-invites`). */
  tag: string;
  /** The journal's `when` (ms): drizzle stores it as the ledger's `created_at`. */
  when: number;
  /** SHA-256 (hex) of the whole file, as drizzle stores it in the ledger. */
  hash: string;
  /** The file split on `--> statement-breakpoint`, each chunk run as is. */
  statements: string[];
}

/**
 * Reads a drizzle-kit migrations folder. Hashes and statements come from drizzle-orm's own
 * `readMigrationFiles`, so validation compares exactly what `migrate()` hashes and runs; the
 * journal is read again only for the tags, which drizzle drops.
 */
export function readMigrationFolder(folder: string): MigrationFile[] {
  let entries: JournalEntry[];
  let metas: ReturnType<typeof readMigrationFiles>;
  try {
    entries = readJournal(folder).entries;
    metas = readMigrationFiles({ migrationsFolder: folder });
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const message =
      error instanceof JournalFormatError
        ? error.message
        : `Cannot read the migrations in ${folder}: ${(error as Error).message}. Every journal ` +
          "entry needs its <tag>.sql file; restore it from version control.";
    throw new MigrationError("MIGRATIONS_FOLDER", message, { cause: error });
  }
  return entries.map((entry, index) => {
    const meta = metas[index];
    if (!meta) throw new Error(`drizzle read fewer migrations than ${journalPath(folder)} lists`);
    return { tag: entry.tag, when: entry.when, hash: meta.hash, statements: meta.sql };
  });
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Whether `hash` (a ledger row's) records `file`: drizzle's SHA-256 of it as it is, or as a
 * checkout with the other line endings would have it. git may write a text file with CRLF
 * (core.autocrlf, a Windows checkout), which changes drizzle's hash and not the SQL; so the file
 * is compared with LF and with CRLF endings throughout, as drizzle would hash it from either.
 */
export function recordsFile(hash: string, file: MigrationFile): boolean {
  return hash === file.hash || lineEndingHashes(file).includes(hash);
}

function lineEndingHashes(file: MigrationFile): string[] {
  const lf = file.statements.join(BREAKPOINT).replaceAll("\r\n", "\n");
  return [sha256(lf), sha256(lf.replaceAll("\n", "\r\n"))];
}

/** A row of drizzle's ledger. */
export interface LedgerRow {
  id: number;
  hash: string;
  /** The journal `when` of the migration it records (drizzle's watermark); NULL if hand-made. */
  createdAt: number | null;
  /**
   * drizzle-orm 1.0's `name` column: the migration's folder name; NULL if 1.0's upgrade could
   * not fill it; undefined while the ledger has no such column (0.45's format).
   */
  name?: string | null;
}

const UNDEFINED_TABLE = "42P01";

/**
 * The ledger in one query: a missing table (42P01, never migrated) means nothing applied, which
 * costs no extra round trip on every boot. Inside a transaction an error would abort it, so there
 * a probe comes first. Each row is read as JSON, whatever the ledger's columns: so drizzle-orm
 * 1.0's ledger (with `name`) reads too, and one still in 0.45's format reads with `name` undefined.
 */
export async function readLedger(
  sql: Queryable,
  ledger: LedgerLocation = DRIZZLE_LEDGER,
  options: { inTransaction?: boolean } = {},
): Promise<LedgerRow[]> {
  if (options.inTransaction) {
    const [found] = await sql.query<{ exists: boolean }>(
      "select to_regclass($1) is not null as exists",
      [ledgerName(ledger)],
    );
    if (!found?.exists) return [];
  }
  try {
    const rows = await sql.query<{ row: Record<string, unknown> }>(
      `select to_jsonb(l) as row from ${ledgerName(ledger)} l order by id`,
    );
    return rows.map(({ row }) => ({
      id: Number(row.id),
      hash: String(row.hash),
      createdAt: row.created_at == null ? null : Number(row.created_at),
      ...("name" in row ? { name: row.name == null ? null : String(row.name) } : {}),
    }));
  } catch (error) {
    if (sqlStateOf(error) === UNDEFINED_TABLE) return [];
    throw error;
  }
}

/** A ledger other than the configured one that records migrations of the folder. */
export interface LedgerElsewhere {
  ledger: LedgerLocation;
  /** The folder's migrations it records (a row with the file's hash and `when`), in folder order. */
  records: MigrationFile[];
}

/** A row of another ledger, as the guard reads it: `created_at` as text, `name` if it has one. */
export interface RowElsewhere {
  hash: string;
  createdAt: string | null;
  /** drizzle-orm 1.0's `name`; null in a ledger without that column. */
  name: string | null;
}

/**
 * Every table of the database, other than `ledger`, that has drizzle's ledger columns (`id`,
 * `hash text`, `created_at bigint`) and records one of `files` as drizzle would: a row with the
 * file's hash for which `sameMigration` holds (0.45: its `created_at` is the file's `when`): the
 * same folder applied with another ledger setting. Only tables this role may read are looked at,
 * so that the query cannot fail, and abort the caller's transaction, on a privilege.
 */
export async function findLedgersElsewhere(
  sql: Queryable,
  ledger: LedgerLocation,
  files: MigrationFile[],
  sameMigration = (row: RowElsewhere, file: MigrationFile) => row.createdAt === String(file.when),
): Promise<LedgerElsewhere[]> {
  const candidates = await sql.query<LedgerLocation>(
    `select n.nspname as schema, c.relname as table
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      and not (n.nspname = $1 and c.relname = $2)
      and has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(c.oid, 'SELECT')
      and (select count(*) from pg_attribute a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          and (a.attname = 'id' or (a.attname = 'hash' and a.atttypid = 'text'::regtype)
            or (a.attname = 'created_at' and a.atttypid = 'bigint'::regtype))) = 3
    order by 1, 2`,
    [ledger.schema, ledger.table],
  );
  const found: LedgerElsewhere[] = [];
  // SHA-256 hex digests hold no comma.
  const hashes = files.flatMap((file) => [file.hash, ...lineEndingHashes(file)]).join(",");
  for (const candidate of candidates) {
    // `name` through the row's JSON, which has it only where the column exists.
    const rows = await sql.query<RowElsewhere>(
      `select l.hash, l.created_at::text as "createdAt", to_jsonb(l) ->> 'name' as name
      from ${ledgerName(candidate)} l
      where l.hash = any(string_to_array($1, ','))`,
      [hashes],
    );
    const records = files.filter((file) =>
      rows.some((row) => sameMigration(row, file) && recordsFile(row.hash, file)),
    );
    if (records.length > 0) found.push({ ledger: candidate, records });
  }
  return found;
}

/** The ledger row `migrate()` compares with: the newest `created_at`, or `undefined`. */
export function watermarkOf(rows: LedgerRow[]): LedgerRow | undefined {
  return rows.reduce<LedgerRow | undefined>(
    (found, row) =>
      row.createdAt !== null && (!found || row.createdAt > (found.createdAt ?? 0)) ? row : found,
    undefined,
  );
}

/**
 * Which migration and statement a failed query of `migrate()` was: drizzle's error has its text.
 * `fileOf` names a migration's SQL file in the folder's layout.
 */
export function locateFailure(
  error: unknown,
  pending: MigrationFile[],
  fileOf = (tag: string) => `${tag}.sql`,
) {
  const query = (error as { query?: unknown } | null)?.query;
  const statement = typeof query === "string" ? query : undefined;
  for (const file of pending) {
    const index = statement === undefined ? -1 : file.statements.indexOf(statement);
    if (index < 0) continue;
    const summary = `Migration ${fileOf(file.tag)} (statement ${index + 1} of ${file.statements.length})`;
    return { tag: file.tag, statement, summary };
  }
  return { tag: undefined, statement, summary: "A statement of drizzle's migrate()" };
}
