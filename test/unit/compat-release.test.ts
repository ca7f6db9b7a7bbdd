import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultPreviousRelease, releaseAt } from "@tools/compat/previous-release";
import { readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/processes";

// Which release `npm run test:compat` picks, checked against this repository's own history.

const git = (...args: string[]) =>
  execFileSync("git", ["-C", REPO_ROOT, ...args], { encoding: "utf8" }).trim();
const drizzle = path.join(REPO_ROOT, "drizzle");
const journalTags = (folder: string): string[] =>
  readJournal(folder).entries.map((entry) => entry.tag);
const hasFile = (commit: string, file: string) => {
  try {
    git("cat-file", "-e", `${commit}:${file}`);
    return true;
  } catch {
    return false;
  }
};

const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

describe("the previous release test:compat picks", () => {
  it("is the last commit without the newest migration: it has every older one", async () => {
    const tags = journalTags(drizzle);
    const newest = tags.at(-1);

    const release = await defaultPreviousRelease(REPO_ROOT, drizzle);

    expect(hasFile(release.commit, `drizzle/${newest}.sql`)).toBe(false);
    for (const tag of tags.slice(0, -1))
      expect(hasFile(release.commit, `drizzle/${tag}.sql`)).toBe(true);
    // A child of it on the way to HEAD adds the newest migration. (With merges, other children
    // may come from the branch that was merged in, without it.)
    const children = git("rev-list", "--ancestry-path", "--parents", `${release.commit}..HEAD`)
      .split("\n")
      .map((line) => line.split(" "))
      .filter(([, ...parents]) => parents.includes(release.commit))
      .map(([commit]) => commit ?? "");
    expect(children.some((child) => hasFile(child, `drizzle/${newest}.sql`))).toBe(true);
    expect(release.chosenBecause).toBe(`the last commit before drizzle/${newest}.sql`);
  });

  it("is HEAD when the newest migration is not in the history (a folder outside the repository)", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "compat-release-"));
    copies.push(folder);
    cpSync(drizzle, folder, { recursive: true });

    const release = await defaultPreviousRelease(REPO_ROOT, folder);

    expect(release.commit).toBe(git("rev-parse", "HEAD"));
  });

  it("a ref that is no commit is refused, naming it", async () => {
    await expect(releaseAt(REPO_ROOT, "no-such-release")).rejects.toThrow(
      '"no-such-release" is not a commit',
    );
  });
});
