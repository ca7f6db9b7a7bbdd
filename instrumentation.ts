/**
 * Next calls `register()` once per server process, before it hands any request to the app (the
 * port opens earlier, but requests wait for this promise). It does not run during `next build`.
 * The boot registers OpenTelemetry first when an exporter is configured (src/server/tracing.ts).
 */
export async function register(): Promise<void> {
  // The edge runtime also evaluates this file; the migrator needs Node (postgres.js, node:fs), so
  // it is imported only inside the guard, where the edge bundle never reaches.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootMigrations } = await import("@/server/boot");
    await bootMigrations();
  }
}
