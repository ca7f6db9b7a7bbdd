import type { Env, EnvName } from "@/env";
import { transactionPoolerReason } from "../pooler";
import { PoolerUrlError } from "./errors";

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

/** How to point the migrator at a direct connection instead of `variable`'s pooler. */
export function directUrlFix(variable: EnvName): string {
  return variable === "MIGRATIONS_DATABASE_URL"
    ? "Change MIGRATIONS_DATABASE_URL to a direct connection"
    : `Set MIGRATIONS_DATABASE_URL (or DATABASE_URL_UNPOOLED) to a direct connection; the app keeps using ${variable}`;
}

/**
 * Refuses a URL that is recognisably a transaction pooler. The lock would still exclude there (it
 * is taken inside the transaction it protects), but a URL that says "pooler" is almost always the
 * app's URL where the direct one was meant, and providers document the direct one for schema
 * changes.
 */
export function refuseTransactionPooler(url: string, variable: EnvName): void {
  const reason = transactionPoolerReason(url);
  if (!reason) return;
  throw new PoolerUrlError(
    `${variable} looks like a transaction pooler (${reason}); migrations run over a direct ` +
      "connection, as Neon and Supabase document for schema changes. " +
      `${directUrlFix(variable)} (Neon: the host without -pooler; Supabase: the direct ` +
      "connection or the session pooler on port 5432).",
  );
}

/** `host:port/database (VARIABLE)`, never the credentials: how logs and errors name the target. */
export function describeTarget(settings: { url: string; urlVariable: EnvName }): string {
  const parsed = new URL(settings.url);
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname} (${settings.urlVariable})`;
}
