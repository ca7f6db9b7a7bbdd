import path from "node:path";
import { readJournal } from "drizzle-boot-migrator/folder";
import { runCommand } from "../cli/run-command";

/** Which release `npm run test:compat` tests against, by default and by request. */

async function git(repo: string, args: string[]): Promise<string> {
  const run = await runCommand("git", ["-C", repo, ...args], { cwd: repo, timeoutMs: 30_000 });
  if (run.code !== 0) throw new Error(`git ${args.join(" ")} failed:\n${run.output}`);
  return run.stdout.trim();
}

export interface Release {
  commit: string;
  /** `abc1234 ("subject")`, for messages. */
  title: string;
  /** Why this release was chosen. */
  chosenBecause: string;
}

async function withTitle(repo: string, commit: string, chosenBecause: string): Promise<Release> {
  const title = await git(repo, ["log", "-1", '--format=%h ("%s")', commit]);
  return { commit, title, chosenBecause };
}

/** A git ref (tag, branch, commit) of `repo`, as a full commit id; throws naming the ref. */
export async function releaseAt(repo: string, ref: string): Promise<Release> {
  const commit = await git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).catch(
    () => {
      throw new Error(`"${ref}" is not a commit of ${repo}: give a tag, branch or commit id.`);
    },
  );
  return withTitle(repo, commit, `given as ${ref}`);
}

/**
 * The last commit before the newest migration of `migrationsFolder` was added: the code that is
 * still serving while that migration runs. A newest migration that is not committed yet (or not
 * in the repository at all) makes HEAD the previous release.
 */
export async function defaultPreviousRelease(
  repo: string,
  migrationsFolder: string,
): Promise<Release> {
  const newest = readJournal(migrationsFolder).entries.at(-1)?.tag;
  if (!newest) throw new Error(`${migrationsFolder} has no migrations to test against.`);
  const file = path.relative(repo, path.join(migrationsFolder, `${newest}.sql`));
  const added = file.startsWith("..")
    ? ""
    : await git(repo, ["log", "-1", "--format=%H", "--diff-filter=A", "--", file]);
  if (!added)
    return withTitle(repo, await git(repo, ["rev-parse", "HEAD"]), `${file} is not committed yet`);
  const before = await git(repo, ["rev-parse", `${added}^`]).catch(async (error: unknown) => {
    if ((await git(repo, ["rev-parse", "--is-shallow-repository"])) !== "true") throw error;
    throw new Error(
      `${repo} is a shallow clone without the commit before ${file}: ` +
        "fetch the history (git fetch --unshallow) or give --ref.",
    );
  });
  return withTitle(repo, before, `the last commit before ${file}`);
}
