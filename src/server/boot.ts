import type { Env } from "@/env";
import { clientAddressSettingsFromEnv, installClientAddress } from "@/lib/auth/client-address";
import {
  describeFailure,
  migratorSettingsFromEnv,
  prefixLines,
  publishMigrationState,
  runMigrator,
  stateFromReport,
} from "@/lib/db/migrator";
import { assertServerEnv } from "./server-env";

export interface BootDependencies {
  assertServerEnv: () => Env;
  /** Makes rate limiting see the socket's address from the next request on (client-address.ts). */
  installClientAddress: (env: Env) => void;
  runMigrator: typeof runMigrator;
  log: (line: string) => void;
  logError: (text: string) => void;
  /** Ends the process; tests pass a recorder instead. */
  exit: (code: number) => void;
}

const defaultDependencies: BootDependencies = {
  assertServerEnv: () => assertServerEnv(),
  installClientAddress: (env) => installClientAddress(clientAddressSettingsFromEnv(env)),
  runMigrator,
  log: (line) => console.log(line),
  logError: (text) => console.error(text),
  exit: (code) => process.exit(code),
};

/**
 * Brings the database up to date (or, with MIGRATE_ON_BOOT=false, only checks it) and publishes
 * the outcome for `/api/health`. On any failure it prints why and exits the process with code 1:
 * when `register()` rejects, `next start` keeps running and answers every request with 500, which
 * an orchestrator would not restart and a load balancer would keep routing to.
 */
export async function runBootMigrations(
  dependencies: Partial<BootDependencies> = {},
): Promise<void> {
  const deps = { ...defaultDependencies, ...dependencies };
  publishMigrationState({ status: "starting" });
  try {
    const env = deps.assertServerEnv();
    deps.installClientAddress(env);
    const mode = env.MIGRATE_ON_BOOT ? "apply" : "check";
    const report = await deps.runMigrator(migratorSettingsFromEnv(env), {
      mode,
      log: deps.log,
    });
    const state = stateFromReport(report);
    publishMigrationState(state);
    if (state.status === "pending") {
      deps.log(
        `[migrate] MIGRATE_ON_BOOT=false and ${state.pending.length} migration(s) pending ` +
          `(${state.pending.join(", ")}): serving, but /api/health answers 503 until they are ` +
          "applied with `npm run db:migrate`.",
      );
    }
  } catch (error) {
    const failure = describeFailure(error);
    publishMigrationState({
      status: "failed",
      error: failure.message,
      code: failure.code,
      at: new Date().toISOString(),
    });
    deps.logError(
      prefixLines(
        `failed (${failure.code}): ${failure.message}\n` +
          "The server will not serve requests on this schema: exiting with code 1.",
      ),
    );
    deps.exit(1);
    // Only reached when `exit` does not end the process (tests): `register()` must still reject.
    throw error;
  }
}

const bootKey = Symbol.for("agency-reporting.bootMigrations");
type BootHolder = { [bootKey]?: Promise<void> };

/**
 * `runBootMigrations` once per process. The promise is kept on `globalThis` because `next dev`
 * re-evaluates modules, and a second run would only repeat the fast path, or worse, race the first.
 */
export function bootMigrations(dependencies: Partial<BootDependencies> = {}): Promise<void> {
  const holder = globalThis as BootHolder;
  holder[bootKey] ??= runBootMigrations(dependencies);
  return holder[bootKey];
}
