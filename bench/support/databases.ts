import { randomBytes } from "node:crypto";
import { createDbConnection } from "@/lib/db/client";

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the bench's server; its creation is never part of a timing. */
export async function createBenchDatabase(adminUrl: string, label: string): Promise<BenchDatabase> {
  const name = `bench_${label.replace(/[^a-z0-9]+/g, "_")}_${randomBytes(4).toString("hex")}`;
  await withAdmin(adminUrl, (client) => client.unsafe(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdmin(adminUrl, (client) =>
        client.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

/** Runs `fn` on a fresh database and drops it afterwards, also when `fn` throws. */
export async function withBenchDatabase<T>(
  adminUrl: string,
  label: string,
  fn: (database: BenchDatabase) => Promise<T>,
): Promise<T> {
  const database = await createBenchDatabase(adminUrl, label);
  try {
    return await fn(database);
  } finally {
    await database.drop();
  }
}

/** How many migrations the ledger of the database at `url` records. */
export async function countLedgerRows(url: string): Promise<number> {
  return withAdmin(url, async (client) => {
    const rows = await client<{ count: number }[]>`
      select count(*)::int as count from drizzle.__drizzle_migrations`;
    return rows[0]?.count ?? 0;
  });
}

async function withAdmin<T>(
  url: string,
  fn: (client: ReturnType<typeof createDbConnection>["client"]) => Promise<T>,
): Promise<T> {
  const connection = createDbConnection({ url, max: 1, applicationName: "agency-reporting:bench" });
  try {
    return await fn(connection.client);
  } finally {
    await connection.close();
  }
}
