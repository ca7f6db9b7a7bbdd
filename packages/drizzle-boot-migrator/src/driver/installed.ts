/**
 * The driver the CLI uses: the one `--driver` names, or the first installed of `DRIVER_ORDER`.
 * The library never guesses: it takes a driver as an argument (postgres.js by default).
 */
import { DriverError } from "../errors.ts";
import { pgDriver } from "./pg.ts";
import type { MigratorDriver } from "./port.ts";
import { postgresJsDriver } from "./postgres-js.ts";

/**
 * The order the CLI looks for a driver in: postgres.js first (the package's original driver, so
 * a project with both keeps what it had), then node-postgres.
 */
export const DRIVER_ORDER = ["postgres", "pg"] as const;

/** The drivers that connect to a URL on their own (Neon's Pool needs the project's configuration). */
type UrlDriver = (typeof DRIVER_ORDER)[number];

const DRIVERS: Record<UrlDriver, () => MigratorDriver> = {
  postgres: postgresJsDriver,
  pg: () => pgDriver(),
};

/** Whether `name` can be imported here; any failure but "not found" is thrown. */
async function installed(name: UrlDriver): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && String(message).includes(`'${name}'`)) return false;
    throw error;
  }
}

const isDriverName = (name: string): name is UrlDriver => name in DRIVERS;

/** The driver `requested` names (`--driver`), or the first of `DRIVER_ORDER` installed. */
export async function installedDriver(requested?: string): Promise<MigratorDriver> {
  if (requested !== undefined) {
    if (!isDriverName(requested)) {
      throw new DriverError(
        "DRIVER_UNSUPPORTED",
        `--driver ${requested} is not a driver the migrator knows: use one of ${DRIVER_ORDER.join(", ")}.`,
      );
    }
    await requireInstalled(requested, `--driver ${requested}`);
    return DRIVERS[requested]();
  }
  for (const name of DRIVER_ORDER) if (await installed(name)) return DRIVERS[name]();
  throw new DriverError(
    "DRIVER_MISSING",
    `No Postgres driver is installed: the migrator uses ${DRIVER_ORDER.join(" or ")} (in that ` +
      "order), whichever the project has. Install one: npm install pg (or postgres).",
  );
}

/** Refuses, for `what` (a flag, a command), when the package `name` is not installed here. */
export async function requireInstalled(name: UrlDriver, what: string): Promise<void> {
  if (!(await installed(name))) {
    throw new DriverError(
      "DRIVER_MISSING",
      `${what}: the package ${name} is not installed here (npm install ${name}).`,
    );
  }
}
