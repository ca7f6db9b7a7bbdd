import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "@tools/database-source/databases";
import { postgresJsQueryable } from "drizzle-boot-migrator";
import { readLedger } from "drizzle-boot-migrator/folder";
import { createDbConnection } from "@/lib/db/client";

export interface BenchDatabase {
  name: string;
  url: string;
}

/**
 * Runs `fn` on a fresh, empty database on the bench's server and drops it afterwards, also when
 * `fn` throws. Creating and dropping are never part of a timing.
 */
export async function withBenchDatabase<T>(
  adminUrl: string,
  label: string,
  fn: (database: BenchDatabase) => Promise<T>,
): Promise<T> {
  const name = uniqueDatabaseName(`bench_${label}`);
  await createDatabase(adminUrl, name);
  try {
    return await fn({ name, url: databaseUrl(adminUrl, name) });
  } finally {
    await dropDatabase(adminUrl, name);
  }
}

/** How many migrations the ledger of the database at `url` records. */
export async function countLedgerRows(url: string): Promise<number> {
  const connection = createDbConnection({ url, max: 1, applicationName: "agency-reporting:bench" });
  try {
    return (await readLedger(postgresJsQueryable(connection.client))).length;
  } finally {
    await connection.close();
  }
}
