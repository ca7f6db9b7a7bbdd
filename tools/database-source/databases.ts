import { randomBytes } from "node:crypto";
// The pool alone, not `@/lib/db/client`: that one loads the app's schema, which creating a
// database does not need, and db:status (through dev-database.ts) must run even while the schema
// and the installed drizzle-orm are of different majors (an upgrade in progress).
import { createPool, type Pool } from "@/lib/db/pool";

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `prefix_<time>_<random>`: unique across parallel test files, runs and machines. */
export function uniqueDatabaseName(prefix: string): string {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(5).toString("hex")}`;
  return assertDatabaseName(name);
}

function assertDatabaseName(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(
      `"${name}" is not a usable database name: use lower-case letters, digits and _ (max 63).`,
    );
  }
  return name;
}

/** The same server, user and options as `serverUrl`, with `database` as the database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${assertDatabaseName(database)}`;
  return url.toString();
}

type Sql = Pool["client"];

async function withAdmin<T>(adminUrl: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const connection = createPool({
    url: adminUrl,
    max: 1,
    applicationName: "agency-reporting:database-source",
  });
  try {
    return await work(connection.client);
  } finally {
    await connection.close();
  }
}

/**
 * template0 rather than template1: nothing connects to it (CREATE DATABASE fails while another
 * session is in its template) and it holds nothing a local server may have added to template1.
 */
async function create(sql: Sql, name: string): Promise<void> {
  await sql`create database ${sql(assertDatabaseName(name))} template template0`;
}

export function createDatabase(adminUrl: string, name: string): Promise<void> {
  return withAdmin(adminUrl, (sql) => create(sql, name));
}

/** Creates the database unless it exists; true when it was created. */
export function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  return withAdmin(adminUrl, async (sql) => {
    const existing = await sql`select 1 from pg_database where datname = ${name}`;
    if (existing.length > 0) return false;
    await create(sql, name);
    return true;
  });
}

/** WITH (FORCE) ends sessions a test left open (Postgres 13+). */
export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return withAdmin(adminUrl, async (sql) => {
    await sql`drop database if exists ${sql(assertDatabaseName(name))} with (force)`;
  });
}
