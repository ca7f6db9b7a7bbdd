import path from "node:path";
import { parseArgs } from "node:util";
import type { LedgerLocation } from "./drizzle-0.45/format.ts";
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

/** A command line's flags, parsed, before the sets are decided. */
export interface MigratorFlags {
  /** `--migrations-folder`, `--migrations-schema`, `--migrations-table`, each as given, in order. */
  folders: string[];
  ledger: { schema: string[]; table: string[] };
  /** The script's own boolean flags. */
  flags: Record<string, boolean>;
  /** The script's own string options (undefined when not given). */
  options: Record<string, string | undefined>;
  /** The script's own repeatable string options, each value as given, in order. */
  lists: Record<string, string[]>;
}

/**
 * Parses a migrator command line: the folder and ledger flags, and the script's own
 * `booleanFlags`, `stringOptions` and repeatable `listOptions`. Prints `usage` and exits on
 * `--help`; throws `UsageError` for anything else it does not know.
 */
export function parseMigratorFlags(
  argv: string[],
  usage: string,
  booleanFlags: string[],
  stringOptions: string[] = [],
  listOptions: string[] = [],
): MigratorFlags {
  let values: Record<string, string[] | string | boolean | undefined>;
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
        ...Object.fromEntries(stringOptions.map((option) => [option, { type: "string" as const }])),
        ...Object.fromEntries(
          listOptions.map((option) => [option, { type: "string" as const, multiple: true }]),
        ),
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
  return {
    folders: strings("migrations-folder"),
    ledger: { schema: strings(LEDGER_FLAGS.schema), table: strings(LEDGER_FLAGS.table) },
    flags: Object.fromEntries(booleanFlags.map((flag) => [flag, values[flag] === true])),
    options: Object.fromEntries(
      stringOptions.map((option) => [option, values[option] as string | undefined]),
    ),
    lists: Object.fromEntries(listOptions.map((option) => [option, strings(option)])),
  };
}

/**
 * Whether the flags name every set's folder and ledger, so that no default (a config file) is
 * needed.
 */
export function flagsNameEverything(flags: MigratorFlags): boolean {
  const sets = flags.folders.length;
  return sets > 0 && flags.ledger.schema.length === sets && flags.ledger.table.length === sets;
}

/**
 * The sets a command line names: `defaultSets` unless `--migrations-folder` (relative to the
 * working directory) replaces them, each with `defaultLedger` unless the ledger flags, matched by
 * position, name another; several folders need a `--migrations-table` (or schema) each.
 */
export function migrationSetsFromFlags(
  flags: MigratorFlags,
  usage: string,
  defaultSets: MigrationSet[],
  defaultLedger: LedgerLocation,
): MigrationSet[] {
  const base =
    flags.folders.length > 0
      ? flags.folders.map((folder) => ({
          migrationsFolder: path.resolve(folder),
          ledger: defaultLedger,
        }))
      : defaultSets;
  const named = flags.ledger;
  const usageError = (problem: string) => new UsageError(`${problem}\n${usage}`);
  for (const [half, flag] of Object.entries(LEDGER_FLAGS)) {
    const given = named[half as keyof typeof named];
    if (given.includes("")) throw usageError(`--${flag} needs a name`);
    if (given.length > 0 && given.length !== base.length) {
      throw usageError(`--${flag} is given ${given.length} time(s) for ${base.length} set(s)`);
    }
  }
  if (flags.folders.length > 1 && named.table.length === 0 && named.schema.length === 0) {
    throw usageError(
      "several --migrations-folder need a --migrations-table each: one ledger per set",
    );
  }
  return base.map((set, index) => ({
    migrationsFolder: set.migrationsFolder,
    ledger: {
      schema: named.schema[index] ?? set.ledger.schema,
      table: named.table[index] ?? set.ledger.table,
    },
  }));
}

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
  const flags = parseMigratorFlags(argv, usage, booleanFlags);
  const { settings, sets } = defaults();
  return {
    settings,
    sets: migrationSetsFromFlags(flags, usage, sets, settings.ledger),
    flags: flags.flags,
  };
}

/** Prints an error to `log`, the way a boot does, and returns the exit code. */
export function reportCliFailure(log: Log, error: unknown): number {
  logFailure(log, error);
  return error instanceof ConfigError ? EXIT.config : EXIT.failed;
}
