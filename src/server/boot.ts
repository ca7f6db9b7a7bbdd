import { trace } from "@opentelemetry/api";
import {
  combineSets,
  createLog,
  describeFailure,
  inspectMigrationSets,
  inspectMigrations,
  type Log,
  MigrationError,
  type MigrationSet,
  type MigrationStatus,
  pendingTags,
  runMigrationSets,
  runMigrator,
  setLabel,
  silentLog,
  withSpan,
} from "drizzle-boot-migrator";
import { type Env, type LogFormat, readEnv, readLogFormat } from "@/env";
import { clientAddressSettingsFromEnv, installClientAddress } from "@/lib/auth/client-address";
import { appPoolFor } from "@/lib/db/app-pool";
import { configuredMigrationSets, migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import {
  type MigrationState,
  publishMigrationState,
  stateFromReport,
} from "@/server/migration-state";
import { type MigrationPolicy, migrationPolicy } from "./migration-policy";
import { assertServerEnv } from "./server-env";
import { flushTraces, startTracing } from "./tracing";

export interface BootDependencies {
  readEnv: () => Env;
  /** Makes rate limiting see the socket's address from the next request on (client-address.ts). */
  installClientAddress: (env: Env) => void;
  /** The migration sets to apply, in order (migrations-config.ts). */
  migrationSets: () => MigrationSet[];
  /** Runs once per set. */
  runMigrator: typeof runMigrator;
  inspectMigrations: typeof inspectMigrations;
  /** Development: calls `apply` whenever one of `folders` changes, one call at a time. */
  followFolder: (folders: string[], apply: () => Promise<void>) => Promise<void>;
  /** Where info lines go (stdout); tests collect them. */
  log: (line: string) => void;
  /** Where errors go (stderr). */
  logError: (text: string) => void;
  /** Ends the process; tests pass a recorder instead. */
  exit: (code: number) => void;
}

const defaultDependencies: BootDependencies = {
  readEnv: () => readEnv(),
  installClientAddress: (env) => installClientAddress(clientAddressSettingsFromEnv(env)),
  migrationSets: () => configuredMigrationSets(),
  runMigrator,
  inspectMigrations,
  // Imported only when used, so a production server never loads the file watcher.
  followFolder: async (folders, apply) => {
    const { followMigrationsFolders } = await import("./dev-migrations");
    followMigrationsFolders(folders, apply, (line) => console.log(line));
  },
  log: (line) => console.log(line),
  logError: (text) => console.error(text),
  exit: (code) => process.exit(code),
};

/** Serverless: the build step applies migrations, so one still pending at run time is a failure. */
class MigrationsNotAppliedError extends Error {
  readonly code = "MIGRATIONS_NOT_APPLIED";
}

/**
 * Brings the database up to date (or only checks it, see `migrationPolicy`) and publishes the
 * outcome for `/api/health` and `proxy.ts`. On failure it prints why, publishes it, and then
 * follows the policy: a production Node server exits with code 1 (when `register()` rejects,
 * `next start` keeps running and answers every request with 500, which an orchestrator would not
 * restart and a load balancer would keep routing to); `next dev` and serverless instances stay up
 * and answer 503 with the reason. In development it then follows `drizzle/` and applies new or
 * fixed migrations without a restart.
 */
export async function runBootMigrations(
  dependencies: Partial<BootDependencies> = {},
): Promise<void> {
  const deps = { ...defaultDependencies, ...dependencies };
  publishMigrationState({ status: "starting" });
  let policy: MigrationPolicy | undefined;
  let follow: { folders: string[]; apply: () => Promise<void> } | undefined;
  // Until the environment is validated, LOG_FORMAT alone decides how a bad one is reported.
  let log = bootLog(readLogFormat(), deps);
  try {
    const env = deps.readEnv();
    log = bootLog(env.LOG_FORMAT, deps);
    const chosen = migrationPolicy(env);
    policy = chosen;
    assertServerEnv(env);
    await startTracing(env);
    deps.installClientAddress(env);
    if (chosen.followFolder) {
      const followLog = log;
      follow = {
        folders: deps.migrationSets().map((set) => set.migrationsFolder),
        apply: () =>
          migrateAndPublish(env, chosen, deps, followLog).catch((error: unknown) =>
            reportFailure(error, chosen, followLog),
          ),
      };
    }
    await withSpan(tracer, "boot", { "migrate.mode": chosen.mode }, describeFailure, () =>
      migrateAndPublish(env, chosen, deps, log),
    );
  } catch (error) {
    reportFailure(error, policy, log);
    if (policy?.onFailure !== "serve-503") {
      await flushTraces();
      deps.exit(1);
      // Only reached when `exit` does not end the process (tests): `register()` must still reject.
      throw error;
    }
  }
  // Set only once the configuration is usable: without a database there is nothing to follow.
  if (follow) await deps.followFolder(follow.folders, follow.apply);
}

const tracer = trace.getTracer("agency-reporting/server");

function bootLog(format: LogFormat, deps: BootDependencies): Log {
  return createLog({
    prefix: "migrate",
    format,
    write: (line, level) => (level === "error" ? deps.logError(line) : deps.log(line)),
  });
}

async function migrateAndPublish(
  env: Env,
  policy: MigrationPolicy,
  deps: BootDependencies,
  log: Log,
): Promise<void> {
  const settings = migratorSettingsFromEnv(env);
  const sets = deps.migrationSets();
  if (policy.followFolder) {
    // `drizzle-kit generate --custom` writes a migration with a comment and no SQL; applying it
    // would record it, and the SQL written a moment later would then be a CHECKSUM_MISMATCH.
    const statuses = await inspectMigrationSets(
      settings,
      sets,
      { log: silentLog },
      deps.inspectMigrations,
    );
    const unwritten = statuses.flatMap(({ set, status }) =>
      status.problems.length === 0
        ? status.pending.filter(hasNoStatements).map((file) => `${setLabel(set)}/${file.tag}.sql`)
        : [],
    );
    if (unwritten.length > 0) {
      log.info(
        "boot.waiting_for_sql",
        `waiting for SQL in ${unwritten.join(", ")} ` +
          "(empty so far); it is applied as soon as the file has content",
        { pending: unwritten },
      );
      publishMigrationState(stateFromReport(combineSets(statuses.map(pendingTags))));
      return;
    }
  }
  const options = { mode: policy.mode, log, appPool: appPoolFor(settings.url, env) };
  const results = await runMigrationSets(settings, sets, options, deps.runMigrator);
  const state = stateFromReport(
    combineSets(results.map(({ set, report }) => ({ set, ...report }))),
  );
  if (state.status === "pending" && policy.pendingIsFailure) {
    throw new MigrationsNotAppliedError(
      `${state.pending.length} migration(s) not applied to the database ` +
        `(${state.pending.join(", ")}; it is at ${state.version ?? "no migration"}). On a ` +
        "serverless platform the build step applies migrations (docs/deployment.md): run the " +
        "build again, or apply them with `npm run db:migrate` against the direct URL.",
    );
  }
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
}

/** A migration whose file holds comments and blank lines only. */
function hasNoStatements(file: MigrationStatus["pending"][number]): boolean {
  return file.statements.every(
    (statement) =>
      statement
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/--.*$/gm, "")
        .trim() === "",
  );
}

function reportFailure(error: unknown, policy: MigrationPolicy | undefined, log: Log): void {
  const state = failedState(error);
  publishMigrationState(state);
  const consequence =
    policy?.onFailure !== "serve-503"
      ? "The server will not serve requests on this schema: exiting with code 1."
      : policy.followFolder
        ? "Every page answers 503 with this reason until it is fixed: the server applies the " +
          "migrations again as soon as drizzle/ changes (no restart needed)."
        : "Every request is answered with 503 until the migrations are applied.";
  log.error("migrate.failed", `failed (${state.code}): ${state.error}\n${consequence}`, {
    code: state.code,
    tag: state.tag,
    sqlState: state.sqlState,
    ...state.facts,
  });
}

function failedState(error: unknown): Extract<MigrationState, { status: "failed" }> {
  const { code, message } =
    error instanceof MigrationsNotAppliedError
      ? { code: error.code, message: error.message }
      : describeFailure(error);
  const where =
    error instanceof MigrationError
      ? { tag: error.tag, statement: error.statement, sqlState: error.sqlState, facts: error.facts }
      : {};
  return { status: "failed", code, error: message, at: new Date().toISOString(), ...where };
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
