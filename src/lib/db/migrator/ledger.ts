import type { Sql } from "postgres";
import type { LedgerRow } from "./plan";

/**
 * drizzle's own ledger, kept as is so that `drizzle-kit migrate` and this migrator each see the
 * other's work. drizzle-orm's `migrate()` defaults to these names; the migrator passes them
 * explicitly so the two can never drift apart.
 */
export const LEDGER = { schema: "drizzle", table: "__drizzle_migrations" } as const;

const UNDEFINED_TABLE = "42P01";

/**
 * The ledger in one query. On a database that was never migrated the table (and schema) is
 * missing and Postgres answers 42P01: that means "nothing applied", not an error. Selecting and
 * catching costs one round trip either way, where a `to_regclass` probe would add a second query
 * to every boot.
 */
export async function readLedger(sql: Sql): Promise<LedgerRow[]> {
  try {
    const rows = await sql<{ id: number; hash: string; created_at: string | null }[]>`
      select id, hash, created_at::text
      from ${sql(LEDGER.schema)}.${sql(LEDGER.table)}
      order by id`;
    return rows.map((row) => ({
      id: row.id,
      hash: row.hash,
      createdAt: row.created_at === null ? null : Number(row.created_at),
    }));
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return [];
    throw error;
  }
}
