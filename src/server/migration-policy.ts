import type { MigratorMode } from "drizzle-boot-migrator";
import type { Env } from "@/env";

/**
 * What a server process does about migrations, decided once from the environment:
 * - a production Node server applies them (or only checks, MIGRATE_ON_BOOT=false) and exits with
 *   code 1 when that fails, so its orchestrator restarts it and no traffic reaches a broken schema;
 * - on a serverless platform the build step applies them; a function instance only checks (no
 *   lock, one query), and ending it would only make the platform start another one that fails the
 *   same way, so it stays up and answers 503 with the reason;
 * - `next dev` applies them, follows `drizzle/` for new ones, and answers 503 with the reason until
 *   a failed migration is fixed, so the developer sees why in the browser and no restart is needed.
 */
export interface MigrationPolicy {
  name: "production" | "serverless" | "development";
  mode: MigratorMode;
  onFailure: "exit" | "serve-503";
  /** Pending migrations stop requests (serverless: the build step should have applied them). */
  pendingIsFailure: boolean;
  /** Apply new migrations while the server runs (development only). */
  followFolder: boolean;
}

export function migrationPolicy(env: Env): MigrationPolicy {
  if (env.VERCEL) {
    return {
      name: "serverless",
      mode: "check",
      onFailure: "serve-503",
      pendingIsFailure: true,
      followFolder: false,
    };
  }
  const mode = env.MIGRATE_ON_BOOT ? "apply" : "check";
  if (env.NODE_ENV === "development") {
    return {
      name: "development",
      mode,
      onFailure: "serve-503",
      pendingIsFailure: false,
      followFolder: mode === "apply",
    };
  }
  return {
    name: "production",
    mode,
    onFailure: "exit",
    pendingIsFailure: false,
    followFolder: false,
  };
}
