import { PoolerUrlError } from "./errors.ts";

/**
 * Why a URL looks like a transaction pooler, or undefined. A transaction pooler hands each
 * transaction to any server connection, so session state does not survive between transactions:
 * the migrator refuses such a URL (refuseTransactionPooler).
 */
export function transactionPoolerReason(url: string): string | undefined {
  const parsed = new URL(url);
  if (parsed.searchParams.get("pgbouncer") === "true") {
    return "it has the pgbouncer=true parameter (PgBouncer in transaction mode)";
  }
  if (parsed.port === "6543") return "port 6543 is Supabase's transaction pooler";
  const firstLabel = parsed.hostname.split(".")[0] ?? "";
  if (firstLabel.endsWith("-pooler")) return "a Neon host ending in -pooler is Neon's PgBouncer";
  return undefined;
}

/**
 * Refuses a URL that is recognisably a transaction pooler, naming it `name` (the variable or
 * option it came from); `fix` is the caller's advice (its own variable names). The lock would
 * still exclude there (it is taken inside the transaction it protects), but a URL that says
 * "pooler" is almost always the app's URL where the direct one was meant, and providers document
 * the direct one for schema changes.
 */
export function refuseTransactionPooler(
  url: string,
  name: string,
  fix = `Change ${name} to a direct connection`,
): void {
  const reason = transactionPoolerReason(url);
  if (!reason) return;
  throw new PoolerUrlError(
    `${name} looks like a transaction pooler (${reason}); migrations run over a direct ` +
      "connection, as Neon and Supabase document for schema changes. " +
      `${fix} (Neon: the host without -pooler; Supabase: the direct ` +
      "connection or the session pooler on port 5432).",
  );
}

/**
 * `pgbouncer=true` marks a URL as a transaction pooler for clients (Prisma's and Supabase's
 * convention) and is not a server setting: postgres.js would send it as a startup parameter,
 * which Postgres and PgBouncer reject ("unrecognized configuration parameter"). The pooler check
 * reads it; a client drops it.
 */
export function withoutClientMarkers(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("pgbouncer")) return url;
  parsed.searchParams.delete("pgbouncer");
  return parsed.toString();
}
