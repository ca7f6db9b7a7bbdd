import {
  type Catalog,
  type CatalogObject,
  objectsOf,
  readCatalog,
} from "drizzle-boot-migrator/verify";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { DbConnection } from "@/lib/db/client";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import * as schema from "@/lib/db/schema";

/**
 * What Postgres itself says about the app's schema: db:verify's catalog read
 * (drizzle-boot-migrator/verify), so a test sees the real structure, read the way db:verify
 * reads it.
 */

type Sql = DbConnection["client"];

/** The `public` schema's catalog. */
export function publicCatalog(sql: Sql): Promise<Catalog> {
  return readCatalog(sql, { schemas: ["public"] });
}

export async function publicTables(sql: Sql): Promise<string[]> {
  return objectsOf(await publicCatalog(sql), "table").map((table) => table.name);
}

export type ColumnInfo = Extract<CatalogObject, { kind: "column" }>;

export async function publicColumns(sql: Sql): Promise<ColumnInfo[]> {
  return objectsOf(await publicCatalog(sql), "column");
}

export async function column(sql: Sql, table: string, name: string): Promise<ColumnInfo> {
  const found = (await publicColumns(sql)).find((c) => c.table === table && c.name === name);
  if (!found) throw new Error(`${table}.${name} does not exist`);
  return found;
}

/**
 * Names of the valid indexes of `table` whose first key column is `column`, a primary key's or
 * unique constraint's included.
 */
export async function indexesLedBy(sql: Sql, table: string, column: string): Promise<string[]> {
  return objectsOf(await publicCatalog(sql), "index")
    .filter((index) => index.table === table && index.columns[0] === column && index.valid)
    .map((index) => index.name)
    .sort();
}

export type ConstraintInfo = Extract<CatalogObject, { kind: "constraint" }>;

export async function publicConstraints(sql: Sql): Promise<ConstraintInfo[]> {
  return objectsOf(await publicCatalog(sql), "constraint");
}

/** The catalog of the app's schema and of its ledger's schema (migrations-config.ts). */
export function appCatalog(sql: Sql): Promise<Catalog> {
  return readCatalog(sql, { schemas: ["public", MIGRATIONS.schema] });
}

/** The SQL names of every table the schema module declares, sorted. */
export function schemaTableNames(): string[] {
  return Object.values(schema)
    .filter((value) => is(value, PgTable))
    .map((table) => getTableName(table))
    .sort();
}
