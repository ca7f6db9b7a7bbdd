import { writeFileSync } from "node:fs";
import path from "node:path";
import { runMigrator, silentLog } from "drizzle-boot-migrator";
import { readJournal } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { migratorSettingsFor } from "../support/database";
import {
  drizzleKitGenerate,
  drizzleKitMigrate,
  emptyDatabasePerTest,
  ledgerWhens,
  runMigratorCli,
  writeMigrationFolder,
} from "../support/migrator";

// The folders drizzle-kit generates with each `migrations.prefix`, taken through db:migrate,
// db:status and drizzle-kit migrate (test/db/migrator-interop.test.ts has the rest of the
// interplay with drizzle-kit; apart, the two files run side by side).

const db = emptyDatabasePerTest();

describe("folders generated with each of drizzle-kit's migrations.prefix values", () => {
  it.each(["index", "timestamp", "unix", "supabase", "none"])(
    "prefix %s: applied, then a no-op for us and for drizzle-kit migrate; db:status lists both",
    async (prefix) => {
      const folder = writeMigrationFolder([]);
      const generate = (...args: string[]) =>
        drizzleKitGenerate(folder, { migrations: { prefix } }, args);
      expect((await generate("--name", "init")).code).toBe(0);
      expect((await generate("--custom", "--name", "seed")).code).toBe(0);
      const journal = readJournal(folder);
      const tags: string[] = journal.entries.map((entry: { tag: string }) => entry.tag);
      expect(tags).toHaveLength(2);
      writeFileSync(
        path.join(folder, `${tags[1]}.sql`),
        "insert into owners (id, name) values (1, 'first');",
      );

      const ours = await runMigratorCli("migrate", { url: db.url, folder });
      expect(ours.code, ours.output).toBe(0);
      expect(ours.stdout).toContain(`is at ${tags[1]}`);
      // A second run, in this process (db:migrate's code path): nothing is left to apply.
      const again = await runMigrator(migratorSettingsFor(db.url, folder), {
        mode: "apply",
        log: silentLog,
      });
      expect(again).toMatchObject({ appliedNow: [], version: tags[1] });
      const status = await runMigratorCli("status", { url: db.url, folder });
      expect(status.code, status.output).toBe(0);
      expect(status.stdout).toContain(`applied (2):\n  ${tags[0]}`);
      expect(status.stdout).not.toContain("not in meta/_journal.json");
      const kit = await drizzleKitMigrate(db.url, folder);
      expect(kit.code, kit.output).toBe(0);
      expect(await ledgerWhens(db.url)).toEqual(
        journal.entries.map((e: { when: number }) => e.when),
      );
    },
  );
});
