/**
 * Next calls `register()` once per server process, before it hands any request to the app (the
 * port opens earlier, but requests wait for this promise). It does not run during `next build`.
 */
export async function register(): Promise<void> {
  // The edge runtime also evaluates this file; the migrator needs Node (postgres.js, node:fs), so
  // it is imported only inside the guard, where the edge bundle never reaches.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootMigrations } = await import("@/server/boot");
    await bootMigrations();
  }
}

/**
 * Next calls this for every error a page, route or action throws (after the error page is
 * rendered, which already shows Postgres's message as the error's cause). In development, a query
 * that failed on a column or table the database lacks gets the likely cause and the command that
 * fixes it on the terminal.
 */
export async function onRequestError(error: unknown): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { reportMissingMigration } = await import("@/server/missing-migration");
    reportMissingMigration(error);
  }
}
