import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, readEnv } from "@/env";
import { logFailure } from "./errors";
import { migratorLog } from "./log";
import { type MigratorSettings, migratorSettingsFromEnv } from "./settings";

/** Exit codes of `npm run db:migrate` and `npm run db:status` (docs/migrations.md). */
export const EXIT = {
  ok: 0,
  /** A migration failed, validation found problems, the lock or the database was not there. */
  failed: 1,
  /** Bad configuration or usage: fix the environment or the command line. */
  config: 2,
} as const;

export class UsageError extends ConfigError {
  override name = "UsageError";
}

export interface CliOptions {
  settings: MigratorSettings;
  flags: Record<string, boolean>;
}

/**
 * Settings for a CLI run: the environment and migrations-config.ts, as at boot, plus
 * `--migrations-folder <dir>` (relative to the working directory), `--migrations-schema <name>`
 * and `--migrations-table <name>` (the ledger) and the boolean flags the script accepts;
 * `overrides` (the dev database's URL when none is configured) win over the environment.
 */
export function migratorCliOptions(
  argv: string[],
  usage: string,
  booleanFlags: string[] = [],
  overrides: Partial<MigratorSettings> = {},
): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "migrations-folder": { type: "string" },
        "migrations-schema": { type: "string" },
        "migrations-table": { type: "string" },
        help: { type: "boolean" },
        ...Object.fromEntries(booleanFlags.map((flag) => [flag, { type: "boolean" as const }])),
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    process.exit(EXIT.ok);
  }
  const folder = values["migrations-folder"];
  const ledgerFlag = (flag: string, configured: string) => {
    const value = values[flag];
    if (value === undefined) return configured;
    if (value === "") throw new UsageError(`--${flag} needs a name\n${usage}`);
    return String(value);
  };
  const configured = migratorSettingsFromEnv(readEnv(), {
    ...overrides,
    ...(typeof folder === "string" ? { migrationsFolder: path.resolve(folder) } : {}),
  });
  const settings: MigratorSettings = {
    ...configured,
    ledger: {
      schema: ledgerFlag("migrations-schema", configured.ledger.schema),
      table: ledgerFlag("migrations-table", configured.ledger.table),
    },
  };
  const flags = Object.fromEntries(booleanFlags.map((flag) => [flag, values[flag] === true]));
  return { settings, flags };
}

/** Prints an error the way boot does (in LOG_FORMAT) and returns the exit code. */
export function reportCliFailure(error: unknown): number {
  logFailure(migratorLog(), error);
  return error instanceof ConfigError ? EXIT.config : EXIT.failed;
}
