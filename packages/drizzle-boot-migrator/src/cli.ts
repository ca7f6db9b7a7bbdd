import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, logFailure } from "./errors.ts";
import type { Log } from "./events.ts";
import type { MigrationSet, MigratorSettings } from "./settings.ts";

/**
 * What a command line of the migrator needs: its flags parsed, the settings and the sets. Apps
 * build their own scripts on it (with settings from their own environment); the package's own
 * command (bin.ts) uses it with `fromEnv`.
 */

/** Exit codes of the migrator's commands (README, "CLI"). */
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
  /** The sets to apply or inspect, in order: the caller's, or those the flags name. */
  sets: MigrationSet[];
  flags: Record<string, boolean>;
}

const LEDGER_FLAGS = { schema: "migrations-schema", table: "migrations-table" } as const;

/**
 * Settings for a CLI run: those `defaults` returns (called after `--help` is handled, so that
 * help needs no configuration) and the boolean flags the script accepts.
 * `--migrations-folder <dir>` (relative to the working directory) replaces the default sets; given
 * more than once, it names several sets, in order, and each needs its own `--migrations-table`
 * (and `--migrations-schema`), matched by position. `--migrations-schema` and
 * `--migrations-table` name the ledger of each set.
 */
export function migratorCliOptions(
  argv: string[],
  usage: string,
  booleanFlags: string[],
  defaults: () => { settings: MigratorSettings; sets: MigrationSet[] },
): CliOptions {
  let values: Record<string, string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "migrations-folder": { type: "string", multiple: true },
        [LEDGER_FLAGS.schema]: { type: "string", multiple: true },
        [LEDGER_FLAGS.table]: { type: "string", multiple: true },
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
  const strings = (flag: string) => (values[flag] as string[] | undefined) ?? [];
  const folders = strings("migrations-folder");
  const { settings: configured, sets: configuredSets } = defaults();
  const base =
    folders.length > 0
      ? folders.map((folder) => ({ ...configured, migrationsFolder: path.resolve(folder) }))
      : configuredSets;
  const named = { schema: strings(LEDGER_FLAGS.schema), table: strings(LEDGER_FLAGS.table) };
  const usageError = (problem: string) => new UsageError(`${problem}\n${usage}`);
  for (const [half, flag] of Object.entries(LEDGER_FLAGS)) {
    const given = named[half as keyof typeof named];
    if (given.includes("")) throw usageError(`--${flag} needs a name`);
    if (given.length > 0 && given.length !== base.length) {
      throw usageError(`--${flag} is given ${given.length} time(s) for ${base.length} set(s)`);
    }
  }
  if (folders.length > 1 && named.table.length === 0 && named.schema.length === 0) {
    throw usageError(
      "several --migrations-folder need a --migrations-table each: one ledger per set",
    );
  }
  const sets: MigrationSet[] = base.map((set, index) => ({
    migrationsFolder: set.migrationsFolder,
    ledger: {
      schema: named.schema[index] ?? set.ledger.schema,
      table: named.table[index] ?? set.ledger.table,
    },
  }));
  const flags = Object.fromEntries(booleanFlags.map((flag) => [flag, values[flag] === true]));
  return { settings: configured, sets, flags };
}

/** Prints an error to `log`, the way a boot does, and returns the exit code. */
export function reportCliFailure(log: Log, error: unknown): number {
  logFailure(log, error);
  return error instanceof ConfigError ? EXIT.config : EXIT.failed;
}
