/**
 * Why a URL looks like a transaction pooler, or undefined. A transaction pooler hands each
 * transaction to any server connection, so session state does not survive between transactions:
 * the migrator refuses such a URL (its advisory lock would protect nothing).
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
