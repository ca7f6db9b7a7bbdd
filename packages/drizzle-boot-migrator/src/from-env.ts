import path from "node:path";
import type { DrizzleVersion } from "./adapter.ts";
import { ConfigError } from "./errors.ts";
import { refuseTransactionPooler } from "./pooler.ts";
import {
  MIGRATOR_DEFAULTS,
  type MigratorSettings,
  type MigratorTimings,
  migratorSettings,
  type SettingNames,
} from "./settings.ts";

/**
 * Where migrations may come from, most specific first: a dedicated variable, then the direct
 * (non-pooled) URLs that Neon/Vercel and Vercel Postgres/Supabase integrations export, then the
 * app's URL.
 */
export const MIGRATIONS_URL_VARIABLES = [
  "MIGRATIONS_DATABASE_URL",
  "DATABASE_URL_UNPOOLED",
  "POSTGRES_URL_NON_POOLING",
  "DATABASE_URL",
] as const;

export type MigrationsUrlVariable = (typeof MIGRATIONS_URL_VARIABLES)[number];

type Source = Record<string, string | undefined>;

/** Variables as `chooseMigrationsUrl` reads them: any object that has them (an app's parsed env). */
type UrlSource = Partial<Record<MigrationsUrlVariable, string>>;

/** The first migrations URL that is set (an empty value counts as unset), without judging it. */
export function chooseMigrationsUrl(
  env: UrlSource,
): { url: string; variable: MigrationsUrlVariable } | undefined {
  for (const variable of MIGRATIONS_URL_VARIABLES) {
    const url = env[variable];
    if (url) return { url, variable };
  }
  return undefined;
}

/** The variable of each setting `fromEnv` reads; messages name these. */
export const MIGRATOR_ENV_NAMES = {
  lockWaitMs: "MIGRATION_LOCK_WAIT_MS",
  lockTimeoutMs: "MIGRATION_LOCK_TIMEOUT_MS",
  lockTimeoutRetries: "MIGRATION_LOCK_TIMEOUT_RETRIES",
  statementTimeoutMs: "MIGRATION_STATEMENT_TIMEOUT_MS",
  idleInTransactionTimeoutMs: "MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS",
  idleSessionTimeoutMs: "MIGRATION_IDLE_SESSION_TIMEOUT_MS",
  noTransactionStatementTimeoutMs: "MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS",
  connectWaitMs: "MIGRATION_CONNECT_WAIT_MS",
  appPoolMax: "DATABASE_POOL_MAX",
  allowUnknownApplied: "MIGRATION_ALLOW_UNKNOWN_APPLIED",
  applicationName: "MIGRATION_APPLICATION_NAME",
  directUrl: "MIGRATIONS_DATABASE_URL",
  appUrl: "DATABASE_URL",
} as const satisfies SettingNames;

/** The variable `fromEnv` reads `drizzleVersion` from, and the values it takes. */
export const DRIZZLE_VERSION_VARIABLE = "MIGRATION_DRIZZLE_VERSION";
const DRIZZLE_VERSIONS: readonly DrizzleVersion[] = ["0.45", "1"];

/** `drizzleVersion` from its variable: unset (the installed drizzle-orm decides) when empty. */
function readDrizzleVersion(env: Source): DrizzleVersion | undefined {
  const text = env[DRIZZLE_VERSION_VARIABLE];
  if (text === undefined || text === "") return undefined;
  if ((DRIZZLE_VERSIONS as readonly string[]).includes(text)) return text as DrizzleVersion;
  throw new ConfigError(
    `${DRIZZLE_VERSION_VARIABLE} must be "0.45" or "1" (got "${text}"); leave it unset to follow ` +
      "the installed drizzle-orm.",
  );
}

/** A setting's value from its variable: the default when unset or empty, else it must parse. */
function readSetting<K extends keyof MigratorTimings>(env: Source, key: K): MigratorTimings[K] {
  const variable = MIGRATOR_ENV_NAMES[key];
  const text = env[variable];
  const fallback = MIGRATOR_DEFAULTS[key];
  if (text === undefined || text === "") return fallback;
  if (typeof fallback === "string") return text as MigratorTimings[K];
  if (typeof fallback === "boolean") {
    if (!/^(true|false|1|0)$/.test(text)) {
      throw new ConfigError(`${variable} must be "true" or "false" (got "${text}")`);
    }
    return (text === "true" || text === "1") as MigratorTimings[K];
  }
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(`${variable} must be a whole number, 0 or more (got "${text}")`);
  }
  return Number(text) as MigratorTimings[K];
}

/**
 * Settings from environment variables (`process.env` unless given): the URL from the first of
 * `MIGRATIONS_URL_VARIABLES` that is set, each other setting from its `MIGRATOR_ENV_NAMES`
 * variable or its default, `drizzleVersion` from `MIGRATION_DRIZZLE_VERSION` (unset: the
 * installed drizzle-orm's). The folder and ledger come from `overrides` (default: `./drizzle`,
 * drizzle's default ledger); `overrides` win over the environment. The one place besides the CLI
 * where the package reads the environment. Throws `ConfigError` when no URL is set or a value
 * does not parse, and `PoolerUrlError` for a transaction-pooler URL.
 */
export function fromEnv(
  env: Source = process.env,
  overrides: Partial<MigratorSettings> = {},
): MigratorSettings {
  const chosen = chooseMigrationsUrl(env);
  const url = overrides.url ?? chosen?.url;
  const urlVariable = overrides.urlVariable ?? chosen?.variable ?? MIGRATIONS_URL_VARIABLES[0];
  if (!url) {
    throw new ConfigError(
      `No database URL for migrations: set ${MIGRATIONS_URL_VARIABLES.join(", ")} ` +
        "(the first one set is used; prefer a direct, non-pooled connection).",
    );
  }
  refuseTransactionPooler(url, urlVariable, directUrlAdvice(urlVariable));
  const keys = Object.keys(MIGRATOR_DEFAULTS) as (keyof MigratorTimings)[];
  const timings = Object.fromEntries(keys.map((key) => [key, readSetting(env, key)]));
  return migratorSettings(
    {
      migrationsFolder: path.resolve("drizzle"),
      ...timings,
      drizzleVersion: readDrizzleVersion(env),
      names: { ...MIGRATOR_ENV_NAMES, statusCommand: "drizzle-boot-migrator status" },
      url,
      urlVariable,
    },
    { ...overrides, url, urlVariable },
  );
}

/** How to point migrations at a direct connection instead of `variable`'s pooler. */
export function directUrlAdvice(variable: string): string {
  return variable === "MIGRATIONS_DATABASE_URL"
    ? "Change MIGRATIONS_DATABASE_URL to a direct connection"
    : `Set MIGRATIONS_DATABASE_URL (or DATABASE_URL_UNPOOLED) to a direct connection; the app keeps using ${variable}`;
}
