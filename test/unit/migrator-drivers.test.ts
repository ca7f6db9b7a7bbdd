import { fileURLToPath } from "node:url";
import { neon } from "@neondatabase/serverless";
import {
  type MigratorDriver,
  migratorSettings,
  neonDriver,
  runMigrator,
  silentLog,
} from "drizzle-boot-migrator";
import { pgDriver } from "drizzle-boot-migrator/pg";
import { describe, expect, it } from "vitest";

// Query functions hold no session: refused before anything connects, with the reason and the
// alternative. (Creating Neon's HTTP function sends nothing.)

const url = "postgres://app@127.0.0.1:1/app";
const http = neon(url);

const REASON =
  "is a query function, such as Neon's HTTP driver (neon() of @neondatabase/serverless) or " +
  "@vercel/postgres's sql: each query goes out as a request of its own, so no session can hold " +
  "the migration lock or keep a transaction across statements. Give the migrator a connection: " +
  "pgDriver(url) with the direct (non-pooled) URL";

describe("a query function where the migrator needs a session", () => {
  it("given to pgDriver: DRIVER_UNSUPPORTED, with the reason and the alternative", () => {
    expect(() => pgDriver(http as never)).toThrow(
      expect.objectContaining({
        code: "DRIVER_UNSUPPORTED",
        message: expect.stringContaining(`The source given to pgDriver() ${REASON}`),
      }),
    );
  });

  it("given to neonDriver (Neon's own HTTP function, where its Pool was meant): the same", () => {
    expect(() => neonDriver(http as never)).toThrow(
      expect.objectContaining({
        code: "DRIVER_UNSUPPORTED",
        message: expect.stringContaining(`The source given to neonDriver() ${REASON}`),
      }),
    );
  });

  it("given as the driver: refused before any connection attempt", async () => {
    const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));
    const settings = migratorSettings({ url, migrationsFolder });
    const started = performance.now();
    const failure = await runMigrator(
      { ...settings, connectWaitMs: 30_000 },
      { mode: "apply", log: silentLog, driver: http as unknown as MigratorDriver },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "DRIVER_UNSUPPORTED" });
    expect((failure as Error).message).toContain(`The driver option ${REASON}`);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
