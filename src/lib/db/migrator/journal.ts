import { z } from "zod";

/**
 * `drizzle/meta/_journal.json`, the list drizzle-orm's migrator applies in order. Pure functions
 * (no file access): the one reader and rule book of the journal, so `npm run db:check` and the
 * migrator hold the folder to the same rules.
 */

const journalSchema = z.object({
  dialect: z.string(),
  entries: z.array(
    z.object({
      idx: z.number().int(),
      when: z.number().int(),
      tag: z.string().min(1),
      breakpoints: z.boolean(),
    }),
  ),
});

export type Journal = z.infer<typeof journalSchema>;
export type JournalEntry = Journal["entries"][number];

export class JournalFormatError extends Error {
  override name = "JournalFormatError";
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
  const result = journalSchema.safeParse(json);
  if (!result.success) {
    const where = result.error.issues
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new JournalFormatError(
      `${source} is not a drizzle-kit journal (${where}). Restore it from version control.`,
    );
  }
  return result.data;
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
