import {
  type DriverName,
  inspectMigrations,
  type MigratorDriver,
  postgresJsDriver,
  runMigrator,
} from "drizzle-boot-migrator";
import { pgDriver } from "drizzle-boot-migrator/pg";
import { neonTestDriver } from "./neon-test-driver";

/**
 * The driver the migrator's database tests run on: `MIGRATOR_TEST_DRIVER` (the vitest project
 * `drivers` sets `pg`, `drivers-neon` sets `neon`; docs/testing.md), postgres.js by default. The
 * app itself always uses postgres.js; only the migrator's own session changes.
 */
export const TEST_DRIVER = parseDriver(process.env.MIGRATOR_TEST_DRIVER);

function parseDriver(value: string | undefined): Extract<DriverName, "postgres" | "pg"> | "neon" {
  if (value === undefined || value === "" || value === "postgres") return "postgres";
  if (value === "pg" || value === "neon") return value;
  throw new Error(`MIGRATOR_TEST_DRIVER=${value}: expected postgres, pg or neon`);
}

/** The migrator's driver for this run (a new one per call: a driver holds no state). */
export function testDriver(): MigratorDriver {
  if (TEST_DRIVER === "neon") return neonTestDriver();
  return TEST_DRIVER === "pg" ? pgDriver() : postgresJsDriver();
}

/** `runMigrator` on this run's test driver. */
export const runOnTestDriver: typeof runMigrator = (settings, options) =>
  runMigrator(settings, { driver: testDriver(), ...options });

/** `inspectMigrations` on this run's test driver. */
export const inspectOnTestDriver: typeof inspectMigrations = (settings, options = {}) =>
  inspectMigrations(settings, { driver: testDriver(), ...options });
