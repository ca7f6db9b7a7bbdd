import { silentLog } from "drizzle-boot-migrator";
import type { Catalog } from "drizzle-boot-migrator/verify";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { appCatalog } from "../support/catalog";
import { createTestDatabase, migratorSettingsFor } from "../support/database";
import { drizzleKitMigrate1 } from "../support/drizzle-1/migrations";
import { TEST_DRIZZLE } from "../support/drizzle-version";
import { drizzleKitMigrate, ledgerWhens, runMigratorCli, withSql } from "../support/migrator";
import { runOnTestDriver } from "../support/migrator-driver";
import {
  asDrizzle1,
  customMigrationsFolder,
  generatedFolder,
  idxGapsFolder,
  type RealWorldFolder,
  strayFileFolder,
  v5PgFolder,
} from "../support/real-world-folders";
import { onlyWhere } from "../support/system-tools";

// Folders shaped like the drizzle-kit Postgres folders public projects commit
// (test/support/real-world-folders.ts), each taken through what an adopting project does: ours
// on a fresh database, again, then drizzle-kit; and drizzle-kit first, then ours. Ours runs in
// process (the code path of boot and db:migrate); db:status runs as its CLI. On drizzle-orm 1.0
// (TEST_DRIZZLE, the project drizzle-1-suite) each folder is first converted as `drizzle-kit up`
// converts it, and the drizzle-kit is 1.0's; a fixture whose point is the journal itself is
// skipped there, named.

/** Our migrator on `url`: what it applied now, and where the database is after. */
const ours = (url: string, folder: string) =>
  runOnTestDriver(migratorSettingsFor(url, folder), { mode: "apply", log: silentLog });

/** The catalog and the ledger's rows (hash and created_at, as drizzle compares them). */
function schemaAndLedger(url: string): Promise<{ catalog: Catalog; ledger: string[] }> {
  return withSql(url, async (sql) => {
    const rows = await sql<{ row: string }[]>`
      select hash || ' ' || created_at as row
      from ${sql(MIGRATIONS.schema)}.${sql(MIGRATIONS.table)} order by created_at, hash`;
    return { catalog: await appCatalog(sql), ledger: rows.map((r) => r.row) };
  });
}

/** The drizzle-kit of this run's drizzle-orm, migrating `url` with `folder`. */
const kitMigrate = (url: string, folder: string) =>
  TEST_DRIZZLE === "1" ? drizzleKitMigrate1(url, folder) : drizzleKitMigrate(url, folder);

/** Why a fixture does not apply on drizzle-orm 1.0, for those that do not. */
type Only045 = { only045: string };

const fixtures: [string, () => RealWorldFolder, Only045?][] = [
  ['an old v5 "pg" journal with DO-wrapped foreign keys', v5PgFolder],
  ["custom migrations", customMigrationsFolder],
  [
    "gaps in idx",
    idxGapsFolder,
    { only045: "no journal, so no idx: `drizzle-kit up` names each directory by its time" },
  ],
  [
    "a .sql file missing from the journal",
    strayFileFolder,
    {
      only045:
        "no journal; what 1.0 skips in a folder is named by db:status in " +
        "test/drizzle-1/db-status-drizzle-1.test.ts and by db:check in db-check-drizzle-1",
    },
  ],
  ["a generated folder of 240 migrations", () => generatedFolder(240)],
];

describe.each(fixtures)("%s", { timeout: 120_000 }, (_, fixture, only) => {
  const applies = onlyWhere(
    !(only && TEST_DRIZZLE === "1"),
    `does not apply on drizzle-orm 1.0: ${only?.only045}`,
  );
  it(
    "applies to a fresh database; a second run and drizzle-kit migrate are no-ops; drizzle-kit first leaves ours nothing; same catalog and ledger",
    applies,
    async () => {
      const written = TEST_DRIZZLE === "1" ? asDrizzle1(fixture()) : fixture();
      const { folder, tags, whens, outsideJournal } = written;
      const last = tags.at(-1) ?? null;
      const oursFirst = await createTestDatabase();
      const kitFirst = await createTestDatabase();
      try {
        const first = await ours(oursFirst.url, folder);
        expect(first).toMatchObject({ appliedNow: tags, version: last, pending: [] });
        expect(await ledgerWhens(oursFirst.url)).toEqual(whens);
        expect(await ours(oursFirst.url, folder)).toMatchObject({ appliedNow: [], version: last });
        const kitAfter = await kitMigrate(oursFirst.url, folder);
        expect(kitAfter.code, kitAfter.output).toBe(0);
        expect(await ledgerWhens(oursFirst.url)).toEqual(whens);

        const kit = await kitMigrate(kitFirst.url, folder);
        expect(kit.code, kit.output).toBe(0);
        expect(await ledgerWhens(kitFirst.url)).toEqual(whens);
        expect(await ours(kitFirst.url, folder)).toMatchObject({ appliedNow: [], version: last });
        expect(await ledgerWhens(kitFirst.url)).toEqual(whens);

        const built = await schemaAndLedger(oursFirst.url);
        expect(built.catalog.objects.length).toBeGreaterThan(0);
        expect(await schemaAndLedger(kitFirst.url)).toEqual(built);

        const status = await runMigratorCli("status", { url: kitFirst.url, folder });
        expect(status.code, status.output).toBe(0);
        expect(status.stdout).toContain(`applied (${tags.length}):`);
        if (outsideJournal.length > 0) {
          expect(status.stdout).toContain(`not in meta/_journal.json (${outsideJournal.length}):`);
        }
        for (const tag of outsideJournal) expect(status.stdout).toContain(`\n  ${tag}.sql\n`);
      } finally {
        await oursFirst.drop();
        await kitFirst.drop();
      }
    },
  );
});
