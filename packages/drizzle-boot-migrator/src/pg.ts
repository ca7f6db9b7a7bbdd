/**
 * `drizzle-boot-migrator/pg`: the migrator on node-postgres (`pg`), for a project whose driver it
 * is: `runMigrator(settings, { mode, driver: pgDriver(pool) })`. An entry point of its own, so that
 * a project on postgres.js never reaches `pg` from the main entry.
 */
export {
  type PgClient,
  type PgPool,
  type PgPoolClient,
  type PgSource,
  pgDriver,
} from "./driver/pg.ts";
