/**
 * The app's wiring of drizzle-boot-migrator/verify for `db:verify`, `db:baseline`,
 * `db:status --verify` and `npm run dev`: the committed acknowledgements file, where the expected
 * schema is built (the package's --scratch-url server, or an embedded Postgres of the app's
 * tooling), and the migrator's timeouts for the reads.
 */
import path from "node:path";
import { type DevDatabase, onConfiguredOrDevDatabase } from "@tools/database-source/dev-database";
import { embeddedScratch } from "@tools/database-source/scratch";
import {
  chooseMigrationsUrl,
  type MigrationSet,
  type MigratorSettings,
} from "drizzle-boot-migrator";
import { UsageError } from "drizzle-boot-migrator/cli";
import {
  ACKNOWLEDGEMENTS_FILE,
  type BaselineReport,
  baselineDatabase,
  readAcknowledgements,
  readTimeoutsOf,
  type ScratchSource,
  scratchOnServer,
  type VerifyOptions,
  type VerifyReport,
  verifyDatabase,
} from "drizzle-boot-migrator/verify";
import { readEnv } from "@/env";
import { appCliOptions } from "@/lib/db/migrator-settings";

/** How the app's verify reports name the baseline command. */
export const BASELINE_COMMAND = "db:baseline";

export interface AppVerifyOptions {
  settings: MigratorSettings;
  sets: MigrationSet[];
  /** A server where a scratch database may be created (CI's own Postgres, the dev server). */
  scratchUrl?: string;
  /** Describes `scratchUrl` in the output. */
  scratchDescription?: string;
  /** Install the live server's major's embedded binaries when missing. */
  installPostgres?: boolean;
  /** Relative to the working directory; ACKNOWLEDGEMENTS_FILE by default. */
  acknowledgementsFile?: string;
  schemas?: string[];
  log?: (line: string) => void;
}

function scratchFor(options: AppVerifyOptions): ScratchSource {
  if (options.scratchUrl) {
    return scratchOnServer(
      options.scratchUrl,
      options.scratchDescription ??
        `the server of --scratch-url (${new URL(options.scratchUrl).host})`,
    );
  }
  return embeddedScratch({
    projectRoot: process.cwd(),
    install: options.installPostgres,
    log: options.log,
  });
}

function libraryOptions(options: AppVerifyOptions): VerifyOptions {
  const { settings } = options;
  return {
    url: settings.url,
    sets: options.sets,
    scratch: scratchFor(options),
    acknowledgements: readAcknowledgements(
      path.resolve(options.acknowledgementsFile ?? ACKNOWLEDGEMENTS_FILE),
    ),
    schemas: options.schemas,
    timeouts: readTimeoutsOf(settings),
    applicationName: "agency-reporting:verify",
  };
}

export function verifyApp(options: AppVerifyOptions): Promise<VerifyReport> {
  return verifyDatabase(libraryOptions(options));
}

export function baselineApp(options: AppVerifyOptions): Promise<BaselineReport> {
  return baselineDatabase({
    ...libraryOptions(options),
    applicationName: "agency-reporting:baseline",
  });
}

/** The codes `devResetHint` knows for a verify report: drift, or a ledger ahead of the folder. */
export function verifyResetCodes(report: VerifyReport): string[] {
  if (report.verdict === "drift") return ["SCHEMA_DRIFT"];
  return report.sets.some((set) => set.unknown > 0) ? ["UNKNOWN_APPLIED"] : [];
}

/** Pulls `--name <value>` (and `--name=<value>`) options out of `argv`, for flags the migrator's parser does not know. */
export function takeOptions(
  argv: string[],
  names: string[],
  usage: string,
): { values: Record<string, string[]>; rest: string[] } {
  const values: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.replace(/^--/, "");
    if (!flag.startsWith("--") || !names.includes(name)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined || value === "")
      throw new UsageError(`--${name} needs a value\n${usage}`);
    values[name]?.push(value);
  }
  return { values, rest };
}

/**
 * What `db:verify` and `db:baseline` share: their own options taken out of `argv`, the migrator's
 * (folder and ledger flags, the URL of the environment, else the dev database, whose server then
 * holds the scratch database), and `work` run with them.
 */
export function onVerifyTarget(
  argv: string[],
  usage: string,
  say: (line: string) => void,
  work: (target: {
    options: AppVerifyOptions;
    flags: Record<string, boolean>;
    dev: DevDatabase | undefined;
  }) => Promise<number>,
): Promise<number> {
  const { values, rest } = takeOptions(argv, ["scratch-url", "schema", "acknowledgements"], usage);
  const configured = chooseMigrationsUrl(readEnv()) !== undefined;
  return onConfiguredOrDevDatabase(configured, say, async (dev) => {
    const overrides = dev ? { url: dev.url, urlVariable: "DEV_DATABASE_DIR" as const } : {};
    const { settings, sets, flags } = appCliOptions(
      rest,
      usage,
      ["json", "install-postgres"],
      overrides,
    );
    const scratchUrl = values["scratch-url"]?.[0];
    const options: AppVerifyOptions = {
      settings,
      sets,
      scratchUrl: scratchUrl ?? dev?.adminUrl,
      scratchDescription: dev && !scratchUrl ? "the dev database's server" : undefined,
      installPostgres: flags["install-postgres"],
      acknowledgementsFile: values.acknowledgements?.[0],
      schemas: values.schema,
      log: say,
    };
    return work({ options, flags, dev });
  });
}
