import { type Env, readEnv, requireEnv } from "@/env";
import { clientAddressSettingsFromEnv } from "@/lib/auth/client-address";
import { authSettingsFromEnv } from "@/lib/auth/settings";

/**
 * Checks the configuration the running server needs, before it migrates or serves anything;
 * `instrumentation.ts` calls it (through the boot migrator) once per process. It throws
 * `ConfigError` naming the variable and what it is for. `next build` never calls it, so a build
 * needs neither a database nor secrets.
 */
export function assertServerEnv(env: Env = readEnv()): Env {
  requireEnv("DATABASE_URL", env);
  // In production: a strong BETTER_AUTH_SECRET and an explicit BETTER_AUTH_URL (see docs/auth.md).
  authSettingsFromEnv(env);
  clientAddressSettingsFromEnv(env);
  return env;
}
