import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { inject } from "vitest";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "@/lib/database-source/databases";
import { createDbConnection } from "@/lib/db/client";

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * A fresh, uniquely named database on this run's server (see global-setup.ts). Call it in
 * `beforeAll` and `drop()` in `afterAll`; with `migrated: true` the real migrations in drizzle/
 * are applied to it.
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

/** Applies the migrations of `migrationsFolder` with drizzle-orm's `migrate()`. */
export async function applyMigrations(
  url: string,
  migrationsFolder: string = MIGRATIONS_FOLDER,
): Promise<void> {
  assertHasMigrations(migrationsFolder);
  const connection = createDbConnection({ url, max: 1, applicationName: "agency-reporting:test" });
  try {
    await migrate(connection.db, { migrationsFolder });
  } finally {
    await connection.close();
  }
}

/** drizzle's own error for this is "Can't find meta/_journal.json file"; say what to do. */
function assertHasMigrations(migrationsFolder: string): void {
  const problem = migrationsProblem(path.join(migrationsFolder, "meta", "_journal.json"));
  if (problem) {
    throw new Error(
      `Cannot migrate a test database: ${problem}. Generate the migrations from the schema ` +
        "with `npm run db:generate` and commit drizzle/.",
    );
  }
}

function migrationsProblem(journal: string): string | undefined {
  if (!existsSync(journal)) return `${journal} does not exist`;
  const { entries } = JSON.parse(readFileSync(journal, "utf8")) as { entries?: unknown[] };
  if (!entries?.length) return `${journal} lists no migrations`;
  return undefined;
}
