import { type Env, type LogFormat, readLogFormat } from "@/env";
import { appPoolFor } from "@/lib/db";
import {
  describeFailure,
  logFailure,
  migratorSettingsFromEnv,
  publishMigrationState,
  runMigrator,
  stateFromReport,
} from "@/lib/db/migrator";
import { createLog, type Log } from "@/lib/log";
import { getTracer, withSpan } from "@/lib/tracing";
import { assertServerEnv } from "./server-env";
import { flushTraces, startTracing } from "./tracing";

export interface BootDependencies {
  assertServerEnv: () => Env;
  runMigrator: typeof runMigrator;
  /** Where info lines go (stdout); tests collect them. */
  log: (line: string) => void;
  /** Where errors go (stderr). */
  logError: (text: string) => void;
  /** Ends the process; tests pass a recorder instead. */
  exit: (code: number) => void;
}

const defaultDependencies: BootDependencies = {
  assertServerEnv: () => assertServerEnv(),
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
  // Until the environment is validated, LOG_FORMAT alone decides how a bad one is reported.
  let log = bootLog(readLogFormat(), deps);
  try {
    const env = deps.assertServerEnv();
    log = bootLog(env.LOG_FORMAT, deps);
    await startTracing(env);
    const mode = env.MIGRATE_ON_BOOT ? "apply" : "check";
    await withSpan(tracer, "boot", { "migrate.mode": mode }, describeFailure, async () => {
      const settings = migratorSettingsFromEnv(env);
      const report = await deps.runMigrator(settings, {
        mode,
        log,
        appPool: appPoolFor(settings.url, env),
      });
      const state = stateFromReport(report);
      publishMigrationState(state);
      if (state.status === "pending") {
        log.warn(
          "boot.pending",
          `MIGRATE_ON_BOOT=false and ${state.pending.length} migration(s) pending ` +
            `(${state.pending.join(", ")}): serving, but /api/health answers 503 until they are ` +
            "applied with `npm run db:migrate`.",
          { pending: state.pending, version: state.version },
        );
      }
    });
  } catch (error) {
    const failure = logFailure(
      log,
      error,
      "\nThe server will not serve requests on this schema: exiting with code 1.",
    );
    publishMigrationState({
      status: "failed",
      error: failure.message,
      code: failure.code,
      at: new Date().toISOString(),
    });
    await flushTraces();
    deps.exit(1);
    // Only reached when `exit` does not end the process (tests): `register()` must still reject.
    throw error;
  }
}

const tracer = getTracer("server");

function bootLog(format: LogFormat, deps: BootDependencies): Log {
  return createLog({
    prefix: "migrate",
    format,
    write: (line, level) => (level === "error" ? deps.logError(line) : deps.log(line)),
  });
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
