import { migrationName1 } from "drizzle-boot-migrator/folder";

/**
 * drizzle-kit 1.0's directory for a fixture migration, as `drizzle-kit up` names a journal
 * entry's: its `when` to the second, then its tag without the index. A module of its own, free of
 * vitest, because the bench (outside vitest) reads the real-world folders that use it.
 */
export function directoryName1({ tag, when }: { tag: string; when: number }): string {
  return migrationName1(when, tag.split("_").slice(1).join("_"));
}
