/**
 * `drizzle-boot-migrator/pglite`: the migrator on PGlite (`@electric-sql/pglite`), Postgres inside
 * this process: `runMigrator(settings, { mode, driver: pgliteDriver(db) })`. An entry point of its
 * own, as `./pg` is for node-postgres.
 */
export { type PgliteLike, type PgliteTransactionLike, pgliteDriver } from "./driver/pglite.ts";
