import { execFileSync } from "node:child_process";
import { migrationSqlFiles } from "drizzle-boot-migrator/folder";
import { type LintFinding, lintFolder } from "./index";
import {
  LISTED_AT,
  type ListedWaiver,
  readListedWaivers,
  writeListedWaivers,
} from "./listed-waivers";

/**
 * `npm run db:check -- --adopt`: a project that adopts the linter with years of migrations gets
 * findings on files that are applied everywhere and must never be edited. Adoption records each
 * such finding in the listed waivers, with a reason, so that only new migrations are held to the
 * rules. Only committed migrations are adopted: a file not yet in git's HEAD is new work.
 */

export const ADOPTION_REASON = "applied before adoption";

export interface Adoption {
  /** The entries added to the list. */
  recorded: ListedWaiver[];
  /** Findings left as they were: in files not committed, or with no statement to name. */
  left: LintFinding[];
}

/**
 * The migration files of `folder` (as `migrationSqlFiles` names them, either layout) in git's
 * HEAD; throws when git cannot say.
 */
export function committedMigrations(folder: string): string[] {
  let listing: string;
  try {
    listing = execFileSync(
      "git",
      ["-C", folder, "ls-tree", "-r", "--name-only", "HEAD", "--", "."],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  } catch (error) {
    const said = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `--adopt records the findings of committed migrations, but git cannot list those of ${folder}: ${said}`,
    );
  }
  const migrations = new Set(migrationSqlFiles(folder));
  return listing.split("\n").filter((name) => migrations.has(name));
}

/**
 * Lints `folder` (shown as `label`) with the list of the project at `root`, and adds an entry for
 * every finding in a file of `committed`, one per statement, giving `reason`.
 */
export async function adoptLintFindings(options: {
  root: string;
  folder: string;
  label: string;
  committed: readonly string[];
  reason?: string;
}): Promise<Adoption> {
  const reason = options.reason?.trim() || ADOPTION_REASON;
  const listed = readListedWaivers(options.root);
  const { findings } = await lintFolder(options.folder, options.label, listed);
  const recorded = new Map<string, ListedWaiver>();
  const left: LintFinding[] = [];
  for (const found of findings) {
    const { file, statement, rule } = found;
    if (!statement || !options.committed.includes(file)) {
      left.push(found);
      continue;
    }
    const key = `${file} ${statement}`;
    const entry = recorded.get(key) ?? { file, statement, rules: [], reason };
    if (!entry.rules.includes(rule)) entry.rules.push(rule);
    recorded.set(key, entry);
  }
  if (recorded.size > 0) writeListedWaivers(options.root, [...listed, ...recorded.values()]);
  return { recorded: [...recorded.values()], left };
}

/** What `--adopt` did, for the terminal. */
export function describeAdoption({ recorded, left }: Adoption, label: string): string {
  const files = new Set(recorded.map((entry) => entry.file)).size;
  const lines = [
    recorded.length === 0
      ? "db:check --adopt: no finding in a committed migration to record."
      : `db:check --adopt: recorded ${recorded.length} statement(s) of ${files} committed ` +
        `migration(s) in ${LISTED_AT} (reason: "${recorded[0]?.reason}"). Review and commit it.`,
  ];
  if (left.length > 0) {
    const where = [...new Set(left.map((found) => `${label}/${found.file}`))].join(", ");
    lines.push(
      `Not recorded: findings in ${where}, which git's HEAD does not have (or whose statement ` +
        "squawk could not name). The rules apply to them.",
    );
  }
  return lines.join("\n");
}
