import {
  type Journal,
  type JournalEntry,
  type LedgerRow,
  type MigrationFile,
  watermarkOf,
} from "./drizzle-0.45";
import { MigrationError } from "./errors";

/**
 * Every rule the migrations folder and the ledger must meet before anything is applied, and the
 * journal rules `npm run db:check` applies too. The rules exist because of how drizzle-orm picks
 * pending migrations (see drizzle-0.45.ts): whatever its watermark would silently get wrong is
 * refused here.
 */

export interface AppliedMigration {
  tag: string;
  when: number;
  hash: string;
  ledgerId: number;
}

export interface MigrationPlan {
  /** Migrations of the folder that the ledger records, in journal order. */
  applied: AppliedMigration[];
  /** Migrations of the folder that the ledger does not record, in journal order. */
  pending: MigrationFile[];
  /** Ledger rows that match no migration of the folder. */
  unknown: LedgerRow[];
  /** Everything that makes applying unsafe; empty when the plan may run. */
  problems: MigrationError[];
  /** Tag of the newest applied migration of the folder. */
  version: string | null;
  total: number;
}

export interface PlanOptions {
  /** Tolerate ledger rows the folder does not know (older code against a newer database). */
  allowUnknownApplied: boolean;
  /** The server's `server_version`, when known: older than 15 is refused. */
  serverVersion?: string;
}

/** The oldest Postgres major the migrations run on (14 rejects `UNIQUE NULLS NOT DISTINCT`). */
export const MINIMUM_POSTGRES_MAJOR = 15;

function serverVersionProblems(serverVersion: string | undefined): MigrationError[] {
  const major = Number.parseInt(serverVersion ?? "", 10);
  if (Number.isNaN(major) || major >= MINIMUM_POSTGRES_MAJOR) return [];
  return [
    new MigrationError(
      "POSTGRES_VERSION",
      `The database server runs Postgres ${serverVersion}; this app needs Postgres ` +
        `${MINIMUM_POSTGRES_MAJOR} or newer (its migrations use syntax older servers reject). ` +
        "Nothing was written. Upgrade the server, or point the migrations URL at a supported one.",
    ),
  ];
}

const iso = (when: number | null) => (when === null ? "NULL" : new Date(when).toISOString());
const short = (hash: string) => hash.slice(0, 12);

/**
 * Compares the folder with the ledger. drizzle's `migrate()` decides what to run by a watermark
 * alone (journal `when` greater than the newest ledger `created_at`) and never compares hashes; a
 * ledger row is therefore matched to its file by `created_at = when`, and everything the
 * watermark would silently get wrong is reported as a problem.
 */
export function planMigrations(
  files: MigrationFile[],
  rows: LedgerRow[],
  options: PlanOptions,
): MigrationPlan {
  const problems = [
    ...serverVersionProblems(options.serverVersion),
    ...journalOrderProblems(files),
  ];
  const filesByWhen = new Map<number, MigrationFile>();
  for (const file of files) if (!filesByWhen.has(file.when)) filesByWhen.set(file.when, file);

  const rowsByWhen = new Map<number, LedgerRow>();
  const unknown: LedgerRow[] = [];
  for (const row of rows) {
    if (row.createdAt === null) {
      problems.push(
        new MigrationError(
          "LEDGER_INVALID",
          `Ledger row id ${row.id} in drizzle.__drizzle_migrations has no created_at: drizzle's ` +
            "migrate() would then treat every migration as pending and run them all again. Set " +
            "its created_at to the journal `when` of the migration it records (match the hash " +
            "against `npm run db:status`), or delete the row if it records nothing.",
        ),
      );
      continue;
    }
    const file = filesByWhen.get(row.createdAt);
    if (!file) {
      unknown.push(row);
      continue;
    }
    if (rowsByWhen.has(row.createdAt)) continue; // recorded twice (an unlocked race); harmless
    rowsByWhen.set(row.createdAt, row);
    if (row.hash !== file.hash) {
      problems.push(
        new MigrationError(
          "CHECKSUM_MISMATCH",
          `Migration ${file.tag} was changed after it was applied: the file's SHA-256 is ` +
            `${file.hash} but the database recorded ${row.hash} (ledger id ${row.id}). An applied ` +
            `migration must never be edited: restore drizzle/${file.tag}.sql from version control ` +
            "and put the change in a new migration (`npm run db:generate`).",
          { tag: file.tag },
        ),
      );
    }
  }

  const applied: AppliedMigration[] = [];
  const pending: MigrationFile[] = [];
  for (const file of files) {
    const row = rowsByWhen.get(file.when);
    if (row) applied.push({ tag: file.tag, when: file.when, hash: file.hash, ledgerId: row.id });
    else pending.push(file);
  }

  if (!options.allowUnknownApplied) {
    for (const row of unknown) problems.push(unknownAppliedProblem(row, pending));
  }
  problems.push(...outOfOrderProblems(pending, rows, filesByWhen));
  for (const file of pending) problems.push(...concurrentlyProblems(file));

  return {
    applied,
    pending,
    unknown,
    problems,
    version: applied.at(-1)?.tag ?? null,
    total: files.length,
  };
}

/** The journal's order rule, shared with `npm run db:check`, as the migrator's refusals. */
function journalOrderProblems(files: MigrationFile[]): MigrationError[] {
  return findOrderProblems(files).map(
    ({ tag, problem, fix }) =>
      new MigrationError("JOURNAL_ORDER", `meta/_journal.json is out of order: ${problem} ${fix}`, {
        tag,
      }),
  );
}

function unknownAppliedProblem(row: LedgerRow, pending: MigrationFile[]): MigrationError {
  const sameContent = pending.find((file) => file.hash === row.hash);
  const hint = sameContent
    ? ` Its hash matches ${sameContent.tag}, whose journal "when" is now ${sameContent.when}: ` +
      "restore that journal entry's original value from version control."
    : "";
  return new MigrationError(
    "UNKNOWN_APPLIED",
    `The database records a migration this code does not have: ledger id ${row.id}, created_at ` +
      `${row.createdAt} (${iso(row.createdAt)}), hash ${short(row.hash)}…. Either this build is ` +
      "older than the database (a rollback, or a replica still on the previous release) or a " +
      "migration file was deleted." +
      hint +
      " Deploy code that contains the migration, or set MIGRATION_ALLOW_UNKNOWN_APPLIED=true to " +
      "run this older code against the newer schema on purpose.",
  );
}

function outOfOrderProblems(
  pending: MigrationFile[],
  rows: LedgerRow[],
  filesByWhen: Map<number, MigrationFile>,
): MigrationError[] {
  const newest = watermarkOf(rows);
  if (!newest || newest.createdAt === null) return [];
  const watermark = newest.createdAt;
  const newestName = filesByWhen.get(watermark)?.tag ?? `ledger id ${newest.id}`;
  return pending
    .filter((file) => file.when <= watermark)
    .map(
      (file) =>
        new MigrationError(
          "OUT_OF_ORDER",
          `Migration ${file.tag} (when ${iso(file.when)}) is pending, but the database already ` +
            `has a newer one, ${newestName} (${iso(watermark)}). drizzle's migrate() only runs ` +
            "migrations newer than the newest applied one, so it would skip this one forever. " +
            "It was probably generated on a branch merged after a newer migration was applied: " +
            "delete its .sql, snapshot and journal entry and run `npm run db:generate` again on " +
            "top of the current migrations.",
          { tag: file.tag },
        ),
    );
}

function concurrentlyProblems(file: MigrationFile): MigrationError[] {
  return file.statements
    .filter(usesConcurrently)
    .map(
      (statement) =>
        new MigrationError(
          "CONCURRENTLY",
          `Migration ${file.tag} uses CONCURRENTLY: ${excerpt(statement)}\ndrizzle runs all ` +
            "pending migrations in one transaction, and Postgres refuses CONCURRENTLY inside a " +
            "transaction block (SQLSTATE 25001). Use the plain form (it locks writes to the table " +
            "while it runs), or run the CONCURRENTLY statement outside the migrator first and make " +
            "the migration idempotent (`CREATE INDEX IF NOT EXISTS ...`).",
          { tag: file.tag, statement },
        ),
    );
}

/**
 * Whether a statement uses a CONCURRENTLY form that cannot run in a transaction (CREATE/DROP
 * INDEX, REINDEX, DETACH PARTITION). REFRESH MATERIALIZED VIEW CONCURRENTLY can, and is allowed.
 * Comments, string literals and quoted identifiers are ignored.
 */
export function usesConcurrently(statement: string): boolean {
  const code = withoutCommentsAndQuotes(statement);
  const mentions = code.match(/\bconcurrently\b/gi)?.length ?? 0;
  const refreshes = code.match(/\brefresh\s+materialized\s+view\s+concurrently\b/gi)?.length ?? 0;
  return mentions > refreshes;
}

function withoutCommentsAndQuotes(sql: string): string {
  let out = "";
  let index = 0;
  const skipTo = (end: string, from: number) => {
    const found = sql.indexOf(end, from);
    return found === -1 ? sql.length : found + end.length;
  };
  while (index < sql.length) {
    const rest = sql.slice(index, index + 2);
    const char = sql[index] ?? "";
    let next = index + 1;
    if (rest === "--") next = skipTo("\n", index);
    else if (rest === "/*") next = skipTo("*/", index + 2);
    else if (char === "'" || char === '"') {
      // A doubled quote inside is an escaped quote: keep scanning past it.
      next = index + 1;
      for (;;) {
        next = skipTo(char, next);
        if (sql[next] !== char) break;
        next++;
      }
    } else if (char === "$" && !/[\w$]/.test(sql[index - 1] ?? "")) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(index))?.[0];
      if (tag) next = skipTo(tag, index + tag.length);
    }
    out += next === index + 1 ? char : " ";
    index = next;
  }
  return out;
}

/** The start of a statement, on one line, for messages. */
export function excerpt(statement: string, length = 200): string {
  const oneLine = statement.replace(/\s+/g, " ").trim();
  return oneLine.length > length ? `${oneLine.slice(0, length)}…` : oneLine;
}

export interface JournalProblem {
  kind: "when-not-increasing" | "duplicate-tag" | "missing-sql" | "unlisted-sql";
  problem: string;
  fix: string;
  /** The entry the problem is about, when it is about one. */
  tag?: string;
}

const REGENERATE =
  "delete its .sql file, its meta/*_snapshot.json and its journal entry, then run " +
  "`npm run db:generate -- --name <readable-name>` again so it is generated on top of the others";

function describeWhen(when: number): string {
  return `when ${when}, ${new Date(when).toISOString()}`;
}

/**
 * Each entry whose `when` is not later than every entry before it. drizzle-orm's migrator skips a
 * migration whose `when` is not greater than the newest applied one, so such an entry would never
 * run on a database that already has the earlier one. Comparing with the newest so far (not just
 * the entry before) also reports the entries after a misplaced one that are still too old.
 */
export function findOrderProblems(
  entries: readonly Pick<JournalEntry, "tag" | "when">[],
): JournalProblem[] {
  const problems: JournalProblem[] = [];
  let newest: Pick<JournalEntry, "tag" | "when"> | undefined;
  for (const entry of entries) {
    if (newest && entry.when <= newest.when) {
      problems.push({
        kind: "when-not-increasing",
        tag: entry.tag,
        problem:
          `${entry.tag} (${describeWhen(entry.when)}) follows ${newest.tag} ` +
          `(${describeWhen(newest.when)}) but is not later. drizzle-orm's migrator skips every ` +
          "migration whose `when` is not greater than the last applied one, so it would never run " +
          "on a database that already has the earlier one.",
        fix:
          `Usually two branches each generated a migration. If ${entry.tag} is applied nowhere yet, ` +
          `${REGENERATE}.`,
      });
    } else {
      newest = entry;
    }
  }
  return problems;
}

/**
 * Everything in the journal that would make a migration silently skipped or never applied.
 * `sqlFileNames` are the names (not paths) of the `.sql` files beside the journal's `meta/` folder.
 */
export function findJournalProblems(
  journal: Journal,
  sqlFileNames: readonly string[],
): JournalProblem[] {
  const problems = findOrderProblems(journal.entries);

  const seen = new Set<string>();
  for (const entry of journal.entries) {
    if (seen.has(entry.tag)) {
      problems.push({
        kind: "duplicate-tag",
        problem: `the journal lists ${entry.tag} more than once.`,
        fix: "Keep one entry per migration; restore meta/_journal.json from version control.",
      });
    }
    seen.add(entry.tag);
  }

  const present = new Set(sqlFileNames);
  for (const tag of seen) {
    if (!present.has(`${tag}.sql`)) {
      problems.push({
        kind: "missing-sql",
        problem: `the journal lists ${tag} but ${tag}.sql does not exist.`,
        fix:
          `Restore ${tag}.sql from version control. If that migration was abandoned before ` +
          "it was applied anywhere, remove its journal entry and its meta snapshot instead.",
      });
    }
  }
  for (const file of sqlFileNames) {
    if (!seen.has(file.replace(/\.sql$/, ""))) {
      problems.push({
        kind: "unlisted-sql",
        problem: `${file} is not in meta/_journal.json, so no migrator will ever apply it.`,
        fix:
          "Create migrations with `npm run db:generate -- --name <readable-name>` (or add " +
          "`--custom` for hand-written SQL), which records them in the journal; move this " +
          "file's SQL into one and delete the file.",
      });
    }
  }

  return problems;
}
