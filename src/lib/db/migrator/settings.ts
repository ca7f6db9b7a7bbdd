import path from "node:path";
import { ConfigError, type Env, type EnvName, readEnv } from "@/env";
import { transactionPoolerReason } from "../pooler";
import { PoolerUrlError } from "./errors";

export interface MigratorSettings {
  /** The chosen migrations URL. */
  url: string;
  /** Which variable it came from (for messages). */
  urlVariable: EnvName;
  migrationsFolder: string;
  /** How long to wait for another instance's migration lock. */
  lockWaitMs: number;
  /** Postgres `lock_timeout` of the migration session. */
  lockTimeoutMs: number;
  /** How often a migration that hit `lock_timeout` (SQLSTATE 55P03) is retried. */
  lockTimeoutRetries: number;
  /** Postgres `statement_timeout` of the migration session. */
  statementTimeoutMs: number;
  /** How long to retry an unreachable database. */
  connectWaitMs: number;
  /** Tolerate ledger rows the folder does not know (older code against a newer database). */
  allowUnknownApplied: boolean;
}

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
] as const satisfies readonly EnvName[];

export type MigrationsUrlVariable = (typeof MIGRATIONS_URL_VARIABLES)[number];

/** The first migrations URL that is set, without judging it (drizzle.config.ts uses this too). */
export function chooseMigrationsUrl(
  env: Env,
): { url: string; variable: MigrationsUrlVariable } | undefined {
  for (const variable of MIGRATIONS_URL_VARIABLES) {
    const url = env[variable];
    if (url) return { url, variable };
  }
  return undefined;
}

/**
 * The migrator's settings from the validated environment; `overrides` win (CLI flags, tests).
 * Throws `ConfigError` when no URL is set and `PoolerUrlError` for a transaction-pooler URL.
 */
export function migratorSettingsFromEnv(
  env: Env = readEnv(),
  overrides: Partial<MigratorSettings> = {},
): MigratorSettings {
  const chosen = chooseMigrationsUrl(env);
  const url = overrides.url ?? chosen?.url;
  const urlVariable = overrides.urlVariable ?? chosen?.variable ?? "MIGRATIONS_DATABASE_URL";
  if (!url) {
    throw new ConfigError(
      `No database URL for migrations: set ${MIGRATIONS_URL_VARIABLES.join(", ")} ` +
        "(the first one set is used; prefer a direct, non-pooled connection).",
    );
  }
  const poolerReason = transactionPoolerReason(url);
  if (poolerReason) {
    const fix =
      urlVariable === "MIGRATIONS_DATABASE_URL"
        ? "Change MIGRATIONS_DATABASE_URL to a direct connection"
        : `Set MIGRATIONS_DATABASE_URL (or DATABASE_URL_UNPOOLED) to a direct connection; the app keeps using ${urlVariable}`;
    throw new PoolerUrlError(
      `${urlVariable} looks like a transaction pooler (${poolerReason}), which cannot carry the ` +
        "migration lock: session advisory locks do not work through transaction poolers. " +
        `${fix} (Neon: the host without -pooler; Supabase: the direct connection or the ` +
        "session pooler on port 5432).",
    );
  }
  return {
    migrationsFolder: path.join(process.cwd(), "drizzle"),
    lockWaitMs: env.MIGRATION_LOCK_WAIT_MS,
    lockTimeoutMs: env.MIGRATION_LOCK_TIMEOUT_MS,
    lockTimeoutRetries: env.MIGRATION_LOCK_TIMEOUT_RETRIES,
    statementTimeoutMs: env.MIGRATION_STATEMENT_TIMEOUT_MS,
    connectWaitMs: env.MIGRATION_CONNECT_WAIT_MS,
    allowUnknownApplied: env.MIGRATION_ALLOW_UNKNOWN_APPLIED,
    ...withoutUndefined(overrides),
    url,
    urlVariable,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}
