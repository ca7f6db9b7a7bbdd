/**
 * The project's `drizzle.config.*`, read the way drizzle-kit 0.31 reads it, so that the package's
 * command line applies the folder and ledger `drizzle-kit migrate` would. Only bin.ts imports this
 * module: the library entry and the boot never load a config file, drizzle-kit or tsx.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DRIZZLE_LEDGER } from "./drizzle-0.45/format.ts";
import { ConfigError } from "./errors.ts";
import type { MigrationSet } from "./settings.ts";

/** drizzle-kit's default lookup in the working directory, in its order. */
export const DRIZZLE_CONFIG_FILES = [
  "drizzle.config.ts",
  "drizzle.config.js",
  "drizzle.config.json",
] as const;

/** Extensions loaded through tsx, as drizzle-kit does with every config. */
const TYPESCRIPT = new Set([".ts", ".mts", ".cts"]);

/** The part of a drizzle-kit config the migrator reads. */
export interface DrizzleMigrationsConfig {
  out?: string;
  migrations?: { schema?: string; table?: string };
}

/**
 * The config file to read: `configPath` (relative to `cwd`), which must exist, or the first of
 * `DRIZZLE_CONFIG_FILES` in `cwd`; undefined when there is none.
 */
export function findDrizzleConfig(cwd: string, configPath?: string): string | undefined {
  if (configPath !== undefined) {
    const file = path.resolve(cwd, configPath);
    if (!existsSync(file)) throw new ConfigError(`--config: ${file} does not exist`);
    return file;
  }
  return DRIZZLE_CONFIG_FILES.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

/** Loads tsx's ESM API, an optional peer; a clear error when it is not installed. */
async function tsxImport(file: string): Promise<unknown> {
  let api: typeof import("tsx/esm/api");
  try {
    api = await import("tsx/esm/api");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new ConfigError(
      `${file} is TypeScript, and loading it needs tsx (installed with drizzle-kit): ` +
        "npm install --save-dev tsx. Or pass --migrations-folder, --migrations-schema and " +
        "--migrations-table (then no config is loaded), or --config with a .js or .json file.",
    );
  }
  return api.tsImport(pathToFileURL(file).href, import.meta.url);
}

/**
 * A module's config as drizzle-kit takes it (`required.default ?? required`), unwrapping the
 * `{ default }` that Node's ESM loader gives for a TypeScript config compiled to CommonJS.
 */
function configExport(loaded: unknown): unknown {
  let value = loaded;
  for (let depth = 0; depth < 2; depth++) {
    if (value && typeof value === "object" && "default" in value) {
      value = (value as { default: unknown }).default;
    }
  }
  return value;
}

async function loadConfigModule(file: string): Promise<unknown> {
  const extension = path.extname(file);
  if (extension === ".json") {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const loaded = TYPESCRIPT.has(extension)
    ? await tsxImport(file)
    : await import(pathToFileURL(file).href);
  return configExport(loaded);
}

/** The config's `out` and `migrations`, checked; anything else in it is drizzle-kit's. */
function parseConfig(file: string, content: unknown): DrizzleMigrationsConfig {
  if (!content || typeof content !== "object") {
    throw new ConfigError(`${file} exports no config object (got ${typeof content})`);
  }
  const config = content as Record<string, unknown>;
  if (config.dialect !== undefined && config.dialect !== "postgresql") {
    throw new ConfigError(
      `${file} has dialect ${JSON.stringify(config.dialect)}: this migrator applies only "postgresql"`,
    );
  }
  const name = (field: string, value: unknown) => {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") {
      throw new ConfigError(
        `${file}: ${field} must be a non-empty string (got ${JSON.stringify(value)})`,
      );
    }
    return value;
  };
  const migrations = config.migrations;
  if (migrations !== undefined && (migrations === null || typeof migrations !== "object")) {
    throw new ConfigError(
      `${file}: migrations must be an object (got ${JSON.stringify(migrations)})`,
    );
  }
  const ledger = (migrations ?? {}) as Record<string, unknown>;
  return {
    out: name("out", config.out),
    migrations: {
      schema: name("migrations.schema", ledger.schema),
      table: name("migrations.table", ledger.table),
    },
  };
}

/** Reads and checks a config file (TypeScript through tsx, JavaScript by import, JSON). */
export async function readDrizzleConfig(file: string): Promise<DrizzleMigrationsConfig> {
  return parseConfig(file, await loadConfigModule(file));
}

/**
 * The set a config describes, with drizzle-kit's defaults for what it leaves out. `out` is
 * relative to `cwd`, not to the config file: drizzle-kit 0.31 hands it to drizzle-orm's
 * `migrate()` as written, which reads it from the working directory.
 */
export function migrationSetOfConfig(config: DrizzleMigrationsConfig, cwd: string): MigrationSet {
  return {
    migrationsFolder: path.resolve(cwd, config.out ?? "drizzle"),
    ledger: {
      schema: config.migrations?.schema ?? DRIZZLE_LEDGER.schema,
      table: config.migrations?.table ?? DRIZZLE_LEDGER.table,
    },
  };
}
