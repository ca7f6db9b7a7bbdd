import {
  BREAKPOINT,
  type Journal,
  type JournalEntry,
  type LedgerElsewhere,
  type LedgerLocation,
  type LedgerRow,
  ledgerName,
  type MigrationFile,
  recordsFile,
  watermarkOf,
} from "./drizzle-0.45/format.ts";
import { MigrationError } from "./errors.ts";
import { ALLOW_MARKER, ALLOWABLE_KINDS, type Escape, findEscapes } from "./escapes.ts";
import { isNoTransaction, NO_TRANSACTION_MARKER } from "./no-transaction.ts";
import { nameOf, type RequiredPostgres, type SettingNames } from "./settings.ts";
import { splitStatements, type TokenKind, tokenize } from "./sql-tokens.ts";

/**
 * Every rule the folder and the ledger must meet before anything is applied (and the journal
 * rules a folder check, `findJournalProblems`, applies too). Most exist because drizzle-orm picks
 * pending migrations by a watermark (drizzle-0.45/format.ts): whatever it would silently get wrong
 * is refused here. Each code's recovery is in the README.
 */

export interface MigrationPlan {
  /** Migrations of the folder that the ledger records, in journal order. */
  /** `ledgerHash`: the hash its ledger row holds (the file's, or the other line endings'). */
  applied: { tag: string; when: number; hash: string; ledgerId: number; ledgerHash: string }[];
  /** Migrations of the folder that the ledger does not record, in journal order. */
  pending: MigrationFile[];
  /** Ledger rows that match no migration of the folder. */
  unknown: LedgerRow[];
  /** Everything that makes applying unsafe; empty when the plan may run. */
  problems: MigrationError[];
  /** What is worth knowing but safe (an out-of-order journal drizzle still applies in full). */
  warnings: string[];
  /** Tag of the newest applied migration of the folder. */
  version: string | null;
  total: number;
  /**
   * The ledger is in an older drizzle's format that the installed drizzle's `migrate()` upgrades
   * in place (drizzle-orm 1.0 adds `name` and `applied_at`): a write, done under the lock even
   * when nothing is pending.
   */
  ledgerUpgrade?: boolean;
}

export interface PlanOptions {
  /** Where the ledger is, for messages. */
  ledger: LedgerLocation;
  /** Other ledgers that record migrations of the folder (looked for while the ledger is empty). */
  elsewhere?: LedgerElsewhere[];
  /** Tolerate ledger rows the folder does not know (older code against a newer database). */
  allowUnknownApplied: boolean;
  /** The server's `server_version`, when known. */
  serverVersion?: string;
  /** A newer Postgres than the migrator's own minimum that the caller's migrations need. */
  requiredPostgres?: RequiredPostgres;
  /** What messages call the settings and commands. */
  names?: SettingNames;
}

/** How messages name the command that creates a migration, unless the caller names its own. */
const DEFAULT_GENERATE_COMMAND = "drizzle-kit generate";

/**
 * The oldest Postgres the migrator's own statements run on: a `-- no-transaction` migration holds
 * its lock in a session bounded by `idle_session_timeout`, new in 14. An app whose migrations need
 * more says so with `requiredPostgres`.
 */
export const MINIMUM_POSTGRES_MAJOR = 14;

/** The Postgres major the server must run before anything is written, and who needs it. */
function postgresVersionProblem(options: PlanOptions): MigrationError | undefined {
  const app = options.requiredPostgres;
  const appNeedsMore = app !== undefined && app.major > MINIMUM_POSTGRES_MAJOR;
  const minimum = appNeedsMore ? app.major : MINIMUM_POSTGRES_MAJOR;
  // An unknown version (NaN) is not refused: the statements themselves will say.
  if (!(Number.parseInt(options.serverVersion ?? "", 10) < minimum)) return undefined;
  const needed = appNeedsMore
    ? `the app needs Postgres ${minimum} or newer: ${app.reason}`
    : `drizzle-boot-migrator needs Postgres ${minimum} or newer`;
  return new MigrationError(
    "POSTGRES_VERSION",
    `The server runs Postgres ${options.serverVersion}; ${needed}. Nothing was written: upgrade ` +
      "the server, or point the migrations URL at a supported one.",
  );
}

const iso = (when: number) => new Date(when).toISOString();

/** Compares the folder with the ledger; a row records the file whose `when` is its `created_at`. */
export function planMigrations(
  files: MigrationFile[],
  rows: LedgerRow[],
  options: PlanOptions,
): MigrationPlan {
  const problems = targetProblems(files, options);
  const warnings: string[] = [];
  for (const { tag, problem, fix, warning } of findOrderProblems(
    files,
    options.names?.generateCommand,
  )) {
    const message = `meta/_journal.json is out of order: ${problem} ${fix}`;
    if (warning) warnings.push(message);
    else problems.push(new MigrationError("JOURNAL_ORDER", message, { tag }));
  }

  const fileByWhen = new Map(files.map((file) => [file.when, file] as const).reverse());
  const rowByWhen = new Map<number, LedgerRow>();
  const unknown: LedgerRow[] = [];
  for (const row of rows) {
    const file = row.createdAt === null ? undefined : fileByWhen.get(row.createdAt);
    if (row.createdAt === null) {
      problems.push(
        new MigrationError(
          "LEDGER_INVALID",
          `Ledger row id ${row.id} in ${ledgerName(options.ledger)} has no created_at: drizzle's ` +
            "migrate() would run every migration again. Set it to the `when` of the migration " +
            "whose hash it holds, or delete the row.",
        ),
      );
    } else if (!file) {
      unknown.push(row);
    } else if (!rowByWhen.has(row.createdAt)) {
      // A second row for one migration (an earlier unlocked race) is harmless.
      rowByWhen.set(row.createdAt, row);
      if (!recordsFile(row.hash, file))
        problems.push(checksumMismatch(file, row, `${file.tag}.sql`));
    }
  }

  const pending = files.filter((file) => !rowByWhen.has(file.when));
  const applied = files.flatMap((file) => {
    const row = rowByWhen.get(file.when);
    return row ? [appliedEntry(file, row)] : [];
  });
  for (const row of options.allowUnknownApplied ? [] : unknown) {
    const sameContent = pending.find((file) => recordsFile(row.hash, file));
    problems.push(
      new MigrationError(
        "UNKNOWN_APPLIED",
        `The database records a migration this code does not have: ledger id ${row.id}, ` +
          `created_at ${row.createdAt} (${iso(row.createdAt ?? 0)}), hash ${row.hash.slice(0, 12)}…. ` +
          (sameContent
            ? `Its hash matches ${sameContent.tag}, whose journal "when" is now ` +
              `${sameContent.when}: restore that entry's original value. `
            : "This build is older than the database, or a migration file was deleted. ") +
          `Deploy code that has it, or set ${nameOf(options, "allowUnknownApplied")}=true to run older code ` +
          "on the newer schema on purpose.",
      ),
    );
  }
  const watermark = watermarkOf(rows);
  for (const file of pending) {
    if (watermark?.createdAt != null && file.when <= watermark.createdAt) {
      const newest = fileByWhen.get(watermark.createdAt)?.tag ?? `ledger id ${watermark.id}`;
      problems.push(
        new MigrationError(
          "OUT_OF_ORDER",
          `Migration ${file.tag} (when ${iso(file.when)}) is pending, but the database already ` +
            `has a newer one, ${newest} (${iso(watermark.createdAt)}): drizzle's migrate() would ` +
            "skip it forever. Regenerate it on top of the current migrations.",
          { tag: file.tag },
        ),
      );
    }
  }
  problems.push(...skippedAfterNoTransaction(pending));
  problems.push(...pendingProblems(pending));
  return {
    applied,
    pending,
    unknown,
    problems,
    warnings,
    version: applied.at(-1)?.tag ?? null,
    total: files.length,
  };
}

/** CHECKSUM_MISMATCH: `row` records `file` (by `when` or name) with another hash. */
export function checksumMismatch(
  file: MigrationFile,
  row: LedgerRow,
  sqlFile: string,
): MigrationError {
  return new MigrationError(
    "CHECKSUM_MISMATCH",
    `Migration ${file.tag} was changed after it was applied: the file's SHA-256 is ` +
      `${file.hash} but the database recorded ${row.hash} (ledger id ${row.id}). Restore ` +
      `drizzle/${sqlFile} and put the change in a new migration.`,
    { tag: file.tag },
  );
}

/**
 * What refuses any plan whatever drizzle's version: a server older than the migrations need, and
 * the folder's migrations recorded in another ledger (`options.elsewhere`).
 */
export function targetProblems(files: MigrationFile[], options: PlanOptions): MigrationError[] {
  const problems: MigrationError[] = [];
  const tooOld = postgresVersionProblem(options);
  if (tooOld) problems.push(tooOld);
  for (const found of options.elsewhere ?? []) {
    problems.push(ledgerElsewhere(options.ledger, found, files.length));
  }
  return problems;
}

/**
 * What refuses a pending migration whatever drizzle's version: CONCURRENTLY inside the
 * transaction, and SQL that escapes the transaction, the timeouts or the lock.
 */
export function pendingProblems(
  pending: MigrationFile[],
  fileOf = (tag: string) => `${tag}.sql`,
): MigrationError[] {
  const problems: MigrationError[] = [];
  for (const file of pending.filter((candidate) => !isNoTransaction(candidate.statements))) {
    for (const statement of findConcurrently(file.statements)) {
      problems.push(
        new MigrationError(
          "CONCURRENTLY",
          `Migration ${file.tag} uses CONCURRENTLY: ${excerpt(statement.text)}\nPostgres refuses it ` +
            "inside the migrations' transaction (SQLSTATE 25001): put it in a migration of its " +
            `own whose first line is \`${NO_TRANSACTION_MARKER}\`, which runs outside a ` +
            "transaction under the migration lock, or use the plain form.",
          { tag: file.tag },
        ),
      );
    }
  }
  for (const file of pending) {
    for (const { code, problem, fix } of findEscapeProblems(file, `drizzle/${fileOf(file.tag)}`)) {
      problems.push(
        new MigrationError(code, `${problem} Nothing was applied. ${fix}`, { tag: file.tag }),
      );
    }
  }
  return problems;
}

export interface EscapeProblem {
  code: "TRANSACTION_CONTROL" | "SESSION_CONTROL";
  problem: string;
  fix: string;
}

/**
 * Pending migrations that an out-of-order journal would make this migrator skip: drizzle's
 * watermark is read again after each `-- no-transaction` migration commits, so a pending entry
 * earlier than a pending entry before it is skipped when a `-- no-transaction` migration (one of
 * the two, or one between them) commits in between. drizzle-kit would apply them in one
 * transaction; this migrator refuses before applying anything.
 */
function skippedAfterNoTransaction(pending: MigrationFile[]): MigrationError[] {
  const problems: MigrationError[] = [];
  pending.forEach((file, index) => {
    const earlier = pending.slice(0, index);
    const newer = earlier.findIndex((candidate) => candidate.when > file.when);
    if (newer < 0) return;
    const split = [...pending.slice(newer, index + 1)].find((candidate) =>
      isNoTransaction(candidate.statements),
    );
    if (!split) return;
    problems.push(
      new MigrationError(
        "JOURNAL_ORDER",
        `Migration ${file.tag} (when ${iso(file.when)}) would be skipped: it is pending after ` +
          `${earlier[newer]?.tag} (when ${iso(earlier[newer]?.when ?? 0)}), which is later, and ` +
          `${split.tag} runs outside a transaction (${NO_TRANSACTION_MARKER}), so the batch ` +
          `before it commits first, after which drizzle's migrate() skips ${file.tag}. Nothing ` +
          `was applied. If ${file.tag} is applied nowhere yet, delete it and generate it again ` +
          "(it then comes after the newest); otherwise do as for OUT_OF_ORDER.",
        { tag: file.tag },
      ),
    );
  });
  return problems;
}

/**
 * What a migration file escapes (escapes.ts): one problem per file and code, each escape named
 * by its line. The migrator refuses them; the lint (tools/migration-check) reports the same text.
 */
export function findEscapeProblems(
  file: Pick<MigrationFile, "tag" | "statements">,
  sqlPath = `drizzle/${file.tag}.sql`,
): EscapeProblem[] {
  const escapes = findEscapes(file.statements);
  const where = (found: Escape[]) =>
    found.map((one) => `${sqlPath}:${one.line}: ${excerpt(one.text)}`).join("\n");
  const problems: EscapeProblem[] = [];
  const transaction = escapes.filter((one) => one.kind === "transaction");
  if (transaction.length > 0) {
    problems.push({
      code: "TRANSACTION_CONTROL",
      problem:
        `Migration ${file.tag} ends, rolls back or nests the migrations' transaction:\n` +
        `${where(transaction)}\nEverything after it would run without the migration lock, ` +
        "without the timeouts and outside the all-or-nothing batch.",
      fix: isNoTransaction(file.statements)
        ? "Remove the statement: each statement of this migration already commits on its own."
        : "Remove the statement; what must run outside a transaction goes in a migration of " +
          `its own whose first line is \`${NO_TRANSACTION_MARKER}\`.`,
    });
  }
  const session = escapes.filter((one) => one.kind !== "transaction");
  if (session.length > 0) {
    const kinds = [...new Set(session.map((one) => one.kind))].join(", ");
    problems.push({
      code: "SESSION_CONTROL",
      problem:
        `Migration ${file.tag} changes what the migrator sets for every migration (${kinds}):\n` +
        `${where(session)}\nThe pending migrations share one transaction, so even a SET LOCAL ` +
        "applies to every migration after it; RESET ALL, DISCARD and pg_advisory_unlock* undo " +
        "the migrator's timeouts or lock.",
      fix:
        `Remove it, or, if it is meant, opt in with a line \`${ALLOW_MARKER} ${kinds}: <why>\` ` +
        `in the file (kinds: ${ALLOWABLE_KINDS.join(", ")}).`,
    });
  }
  return problems;
}

/**
 * The guard against applying a folder a second time: its ledger is empty or missing, but another
 * table records its migrations, so they were applied with the ledger set elsewhere.
 */
function ledgerElsewhere(
  ledger: LedgerLocation,
  { ledger: other, records }: LedgerElsewhere,
  total: number,
): MigrationError {
  const ours = ledgerName(ledger);
  const theirs = ledgerName(other);
  const tags = records.map((file) => file.tag);
  const listed = tags.length > 3 ? `${tags.slice(0, 3).join(", ")}, …` : tags.join(", ");
  return new MigrationError(
    "LEDGER_ELSEWHERE",
    `The ledger is set to ${ours}, which records no migration, but ${theirs} records ` +
      `${records.length} of the ${total} migrations of this folder (${listed}): this database ` +
      `was migrated with the ledger set to ${theirs}. Nothing was applied: every one of them ` +
      `would run a second time. If ${theirs} is this folder's ledger, set the ledger to it ` +
      `(schema ${JSON.stringify(other.schema)}, table ${JSON.stringify(other.table)}: ` +
      "migrations.schema and migrations.table in drizzle.config.*, migrationsSchema and " +
      "migrationsTable in the migrator's settings, --migrations-schema and --migrations-table " +
      `on its CLI), or move that table to ${ours} (ALTER TABLE ... SET SCHEMA / RENAME TO).`,
    { tag: tags[0] },
  );
}

/**
 * Whether a statement uses a CONCURRENTLY form that cannot run in a transaction (CREATE/DROP
 * INDEX, REINDEX, DETACH PARTITION); REFRESH MATERIALIZED VIEW CONCURRENTLY can. Comments, string
 * literals and quoted identifiers are ignored.
 */
export function usesConcurrently(statement: string): boolean {
  const code = withoutCommentsAndQuotes(statement);
  const mentions = code.match(/\bconcurrently\b/gi)?.length ?? 0;
  const refreshes = code.match(/\brefresh\s+materialized\s+view\s+concurrently\b/gi)?.length ?? 0;
  return mentions > refreshes;
}

/** A statement of a migration file that {@link usesConcurrently}. */
export interface ConcurrentStatement {
  /** 1-based line in the file. */
  line: number;
  /** Where the statement starts: a character offset in the file's text (the chunks joined). */
  offset: number;
  text: string;
}

/**
 * The statements of a migration file (`chunks` as drizzle splits it on `--> statement-breakpoint`)
 * that use a CONCURRENTLY form a transaction refuses: what planMigrations refuses in a pending
 * migration without the `-- no-transaction` marker, and what a linter reports, statement by
 * statement, so that both judge the same SQL the same way.
 */
export function findConcurrently(chunks: readonly string[]): ConcurrentStatement[] {
  const found: ConcurrentStatement[] = [];
  let chunkStart = 0;
  let chunkLine = 1;
  const newlines = (text: string) => text.split("\n").length - 1;
  for (const chunk of chunks) {
    // drizzle sends each chunk as one query, so a chunk boundary always ends a statement.
    for (const statement of splitStatements(chunk)) {
      const first = statement[0];
      const last = statement.at(-1);
      if (!first || !last) continue;
      const text = chunk.slice(first.start, last.start + last.text.length);
      if (!usesConcurrently(text)) continue;
      const line = chunkLine + newlines(chunk.slice(0, first.start));
      found.push({ line, offset: chunkStart + first.start, text });
    }
    chunkStart += chunk.length + BREAKPOINT.length;
    chunkLine += newlines(chunk + BREAKPOINT);
  }
  return found;
}

/** `sql` with comments, string literals and quoted identifiers blanked out: only keywords and
 * plain names remain. */
export function withoutCommentsAndQuotes(sql: string): string {
  return tokenize(sql)
    .map((token) => (QUOTED_OR_COMMENT.has(token.kind) ? " " : token.text))
    .join("");
}

const QUOTED_OR_COMMENT = new Set<TokenKind>(["comment", "string", "identifier", "dollar"]);

/** The start of a statement, on one line, for messages. */
export function excerpt(statement: string, length = 200): string {
  const oneLine = statement.replace(/\s+/g, " ").trim();
  return oneLine.length > length ? `${oneLine.slice(0, length)}…` : oneLine;
}

export interface JournalProblem {
  problem: string;
  fix: string;
  /** The entry the problem is about, when it is about one. */
  tag?: string;
  /** Worth knowing, but nothing is skipped or misread because of it: reported, not refused. */
  warning?: true;
}

const describeWhen = (when: number) => `when ${when}, ${iso(when)}`;

/**
 * Journal entries out of `when` order. drizzle-orm applies, in journal order, every entry whose
 * `when` is later than the newest ledger row: an entry earlier than one before it is applied
 * with it on a fresh database, and is only skipped on a database that already has that one,
 * which planMigrations refuses as OUT_OF_ORDER. So such an entry is a warning. An entry whose
 * `when` equals an earlier one's is refused: the ledger records a migration by its `when`
 * alone, so neither drizzle nor this migrator can tell the two apart.
 */
export function findOrderProblems(
  entries: readonly Pick<JournalEntry, "tag" | "when">[],
  generateCommand = DEFAULT_GENERATE_COMMAND,
): JournalProblem[] {
  const problems: JournalProblem[] = [];
  const seen = new Map<number, string>();
  let newest: Pick<JournalEntry, "tag" | "when"> | undefined;
  for (const entry of entries) {
    const twin = seen.get(entry.when);
    seen.set(entry.when, entry.tag);
    if (twin !== undefined) {
      problems.push({
        tag: entry.tag,
        problem:
          `${entry.tag} has the same \`when\` as ${twin} (${describeWhen(entry.when)}): the ledger ` +
          "records a migration by its `when`, so once one of them is applied the other looks " +
          "applied too and never runs.",
        fix:
          `Usually two branches each generated a migration. If ${entry.tag} is applied nowhere ` +
          "yet, delete its .sql file, its meta/*_snapshot.json and its journal entry, then run " +
          `\`${generateCommand} --name <readable-name>\` again on top of the others.`,
      });
    } else if (newest && entry.when < newest.when) {
      problems.push({
        tag: entry.tag,
        warning: true,
        problem:
          `${entry.tag} (${describeWhen(entry.when)}) follows ${newest.tag} ` +
          `(${describeWhen(newest.when)}) but is earlier (a hand-edited journal, or a merge). ` +
          "drizzle-orm applies both on a database that has neither; a database that has " +
          `${newest.tag} and not ${entry.tag} is refused (OUT_OF_ORDER).`,
        fix:
          "Leave migrations that are applied anywhere as they are; generate new ones as usual " +
          "(drizzle-kit gives them the current time, after the newest `when`).",
      });
    }
    if (!newest || entry.when > newest.when) newest = entry;
  }
  return problems;
}

/**
 * Everything in the journal that would make a migration skipped or never applied. `sqlFileNames`
 * are the names of the `.sql` files beside the journal's `meta/` folder.
 */
export function findJournalProblems(
  journal: Journal,
  sqlFileNames: readonly string[],
  generateCommand = DEFAULT_GENERATE_COMMAND,
): JournalProblem[] {
  const problems = findOrderProblems(journal.entries, generateCommand);
  const tags = journal.entries.map((entry) => entry.tag);
  for (const tag of new Set(tags.filter((tag, index) => tags.indexOf(tag) !== index))) {
    problems.push({
      problem: `the journal lists ${tag} more than once.`,
      fix: "Keep one entry per migration; restore meta/_journal.json from version control.",
    });
  }
  for (const tag of new Set(tags)) {
    if (sqlFileNames.includes(`${tag}.sql`)) continue;
    problems.push({
      problem: `the journal lists ${tag} but ${tag}.sql does not exist.`,
      fix:
        `Restore ${tag}.sql from version control; if that migration was never applied anywhere, ` +
        "remove its journal entry and its meta snapshot instead.",
    });
  }
  for (const file of sqlFilesOutsideJournal(tags, sqlFileNames)) {
    problems.push({
      problem: `${file} is not in meta/_journal.json, so no migrator will ever apply it.`,
      fix:
        `Create migrations with \`${generateCommand} --name <readable-name>\` (\`--custom\` for ` +
        "hand-written SQL), which records them in the journal; move this file's SQL into one.",
    });
  }
  return problems;
}

/**
 * The `.sql` files (`sqlFileNames`, beside `meta/`) that no journal entry (`tags`) names: drizzle
 * reads only the journal, so neither it nor this migrator will ever run them.
 */
export function sqlFilesOutsideJournal(
  tags: readonly string[],
  sqlFileNames: readonly string[],
): string[] {
  return sqlFileNames.filter((file) => !tags.includes(file.replace(/\.sql$/, "")));
}

/** A plan's entry for `file`, applied as ledger row `row`. */
export function appliedEntry(
  file: MigrationFile,
  row: LedgerRow,
): MigrationPlan["applied"][number] {
  const { tag, when, hash } = file;
  return { tag, when, hash, ledgerId: row.id, ledgerHash: row.hash };
}
