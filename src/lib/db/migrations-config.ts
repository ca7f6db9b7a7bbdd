/**
 * Where this app's migrations and drizzle's ledger of them live. drizzle.config.ts (drizzle-kit)
 * and the migrator's settings (boot, the CLIs, the dev loop) both import this one module, so
 * `drizzle-kit migrate` and the migrator always read and write the same ledger.
 */
export const MIGRATIONS = {
  /** drizzle-kit's `out`: the migrations folder, relative to the project root. */
  out: "drizzle",
  /** drizzle's `migrations.schema` (`migrationsSchema` of `migrate()`). */
  schema: "drizzle",
  /** drizzle's `migrations.table` (`migrationsTable` of `migrate()`). */
  table: "__drizzle_migrations",
} as const;
