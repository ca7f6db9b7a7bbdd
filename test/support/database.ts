import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "@tools/database-source/databases";
import { type MigratorSettings, runMigrator, silentLog } from "drizzle-boot-migrator";
import { journalPath } from "drizzle-boot-migrator/folder";
import { inject } from "vitest";
import { parseEnv } from "@/env";
import { migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import { TEST_DRIZZLE } from "./drizzle-version";

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * A fresh, uniquely named database on this run's server (see global-setup.ts). Call it in
 * `beforeAll` and `drop()` in `afterAll`; with `migrated: true` the real migrations in drizzle/
 * are applied to it by the project's migrator.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = inject("adminDatabaseUrl");
  const name = uniqueDatabaseName("test");
  await createDatabase(adminUrl, name);
  const url = databaseUrl(adminUrl, name);
  const drop = () => dropDatabase(adminUrl, name);
  if (options.migrated) {
    try {
      await applyMigrations(url);
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { name, url, drop };
}

/**
 * The migrator's settings for `url`, as `MIGRATIONS_DATABASE_URL=<url>` with every other setting
 * at its default would give them.
 */
export function migratorSettingsFor(
  url: string,
  migrationsFolder: string = MIGRATIONS_FOLDER,
): MigratorSettings {
  return migratorSettingsFromEnv(parseEnv({ MIGRATIONS_DATABASE_URL: url }), { migrationsFolder });
}

/**
 * Applies the migrations of `migrationsFolder` with the project's own migrator, as boot and
 * `npm run db:migrate` do, so every test database also exercises that path.
 */
export async function applyMigrations(
  url: string,
  migrationsFolder: string = MIGRATIONS_FOLDER,
): Promise<void> {
  // drizzle 1.0's layout (TEST_DRIZZLE) has no journal: a directory per migration.
  const journal = TEST_DRIZZLE === "1" ? migrationsFolder : journalPath(migrationsFolder);
  // The migrator's own message points at a misconfigured folder; here drizzle/ is simply not
  // generated yet, and a test database without tables would fail every test obscurely.
  if (!existsSync(journal)) throw cannotMigrate(`${journal} does not exist`);
  const report = await runMigrator(migratorSettingsFor(url, migrationsFolder), {
    mode: "apply",
    log: silentLog,
  });
  if (report.total === 0) throw cannotMigrate(`${journal} lists no migrations`);
}

function cannotMigrate(problem: string): Error {
  return new Error(
    `Cannot migrate a test database: ${problem}. Generate the migrations from the schema ` +
      "with `npm run db:generate` and commit drizzle/.",
  );
}
