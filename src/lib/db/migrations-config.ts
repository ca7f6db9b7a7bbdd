/**
 * Where this app's migrations and drizzle's ledger of them live. drizzle.config.ts (drizzle-kit)
 * and the migrator's settings (boot, the CLIs, the dev loop) both import this one module, so
 * `drizzle-kit migrate` and the migrator always read and write the same ledger.
 */

/** A migrations folder and its ledger, in drizzle-kit's terms. */
export interface MigrationSetConfig {
  /** drizzle-kit's `out`: the migrations folder, relative to the project root. */
  readonly out: string;
  /** drizzle's `migrations.schema` (`migrationsSchema` of `migrate()`). */
  readonly schema: string;
  /** drizzle's `migrations.table` (`migrationsTable` of `migrate()`). */
  readonly table: string;
}

/** This app's own migrations: the set drizzle.config.ts describes. */
export const MIGRATIONS = {
  out: "drizzle",
  schema: "drizzle",
  table: "__drizzle_migrations",
} as const satisfies MigrationSetConfig;

/**
 * Every set the server and the CLIs apply, in this order, each folder with its own ledger: for
 * instance an upstream project's folder before this fork's own. See
 * docs/migrations.md#several-migration-sets-in-one-database.
 */
export const MIGRATION_SETS: readonly MigrationSetConfig[] = [MIGRATIONS];

/**
 * The oldest Postgres this app's migrations run on, newer than the migrator's own minimum: the
 * server and the CLIs refuse an older one before writing anything (`POSTGRES_VERSION`).
 */
export const APP_POSTGRES = {
  major: 15,
  reason: "its migrations use UNIQUE NULLS NOT DISTINCT, which Postgres 14 rejects",
} as const;
