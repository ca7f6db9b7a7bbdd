import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  type ScratchDatabase,
  type ScratchSource,
  scratchOnServer,
} from "drizzle-boot-migrator/verify";
import { startEmbeddedPostgres } from "./embedded";
import {
  binariesIn,
  binaryPackageName,
  type PostgresBinaries,
  resolvePostgresBinaries,
} from "./embedded-binaries";
import {
  POSTGRES_VERSIONS_CACHE,
  postgresVersionBinaries,
  SUPPORTED_POSTGRES,
} from "./postgres-versions";

/**
 * Where `db:verify` and `db:baseline` build the expected schema when no server is named: an
 * embedded Postgres started for the one check. The package's command has no such source (it
 * starts no Postgres); a named server is the package's `scratchOnServer`.
 */

interface AvailableMajor {
  major: number;
  version: string;
  binaries: () => Promise<PostgresBinaries>;
}

/**
 * The embedded Postgres majors on this machine that the app supports: the installed package's and
 * those in the cache. A refused major (14, cached by the version tests) cannot build the expected
 * schema, since the app's own check refuses it, so it is never offered even when nearest.
 */
export async function availableEmbeddedMajors(projectRoot: string): Promise<AvailableMajor[]> {
  const available: AvailableMajor[] = [];
  const installed = await resolvePostgresBinaries().catch(() => undefined);
  if (installed) {
    const manifest = JSON.parse(
      await readFile(path.join(installed.root, "..", "package.json"), "utf8"),
    ) as { version: string };
    available.push({
      major: Number.parseInt(manifest.version, 10),
      version: manifest.version,
      binaries: async () => installed,
    });
  }
  const packageName = binaryPackageName();
  for (const version of Object.values(SUPPORTED_POSTGRES)) {
    const root = path.join(
      projectRoot,
      POSTGRES_VERSIONS_CACHE,
      version,
      "node_modules",
      packageName,
      "native",
    );
    const major = Number.parseInt(version, 10);
    if (available.some((found) => found.major === major)) continue;
    if (!existsSync(path.join(root, "bin", "postgres"))) continue;
    available.push({ major, version, binaries: async () => binariesIn(root, packageName) });
  }
  return available;
}

/** The live server's major when it is available, else the nearest (the newer on a tie). */
export function nearestMajor<T extends { major: number }>(live: number, available: T[]): T {
  const [best] = [...available].sort(
    (a, b) => Math.abs(a.major - live) - Math.abs(b.major - live) || b.major - a.major,
  );
  if (!best) throw new Error("no embedded Postgres is installed (npm install installs one)");
  return best;
}

/**
 * An embedded Postgres of the live server's major, else of the nearest major on this machine,
 * started for one check and stopped when its database is dropped. With `install`, a supported
 * major that is missing is installed into the cache first (about 30 MB, once).
 */
export function embeddedScratch(options: {
  projectRoot: string;
  install?: boolean;
  log?: (line: string) => void;
}): ScratchSource {
  return async (live): Promise<ScratchDatabase> => {
    let available = await availableEmbeddedMajors(options.projectRoot);
    const supported = (SUPPORTED_POSTGRES as Record<number, string>)[live.major];
    if (options.install && supported && !available.some((found) => found.major === live.major)) {
      options.log?.(`installing the embedded Postgres ${supported} binaries (once)`);
      await postgresVersionBinaries(options.projectRoot, supported);
      available = await availableEmbeddedMajors(options.projectRoot);
    }
    const chosen = nearestMajor(live.major, available);
    const server = await startEmbeddedPostgres({ fast: true, binaries: await chosen.binaries() });
    try {
      const database = await scratchOnServer(server.adminUrl, "")(live);
      return {
        url: database.url,
        description: `an embedded Postgres ${chosen.version} started for this check`,
        drop: async () => {
          await database.drop().finally(() => server.stop());
        },
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
  };
}
