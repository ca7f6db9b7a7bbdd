import { sql } from "drizzle-orm";
import { readEnv } from "@/env";
import { appPoolFor, getDb } from "@/lib/db";
import {
  type MigrationState,
  type MigratorReport,
  migratorSettingsFromEnv,
  publishMigrationState,
  readMigrationState,
  runMigrator,
  stateFromReport,
} from "@/lib/db/migrator";
import { silentLog } from "@/lib/log";

export type HealthBody =
  | { status: "ok"; version: string | null; pending: 0 }
  | {
      status: "unavailable";
      reason: string;
      version?: string | null;
      pending?: string[];
      code?: string;
    };

export interface HealthReport {
  httpStatus: 200 | 503;
  body: HealthBody;
}

export interface HealthDependencies {
  readState: () => MigrationState | undefined;
  publishState: (state: MigrationState) => void;
  /** Resolves when the app's own pool answers `select 1`. */
  pingDatabase: () => Promise<void>;
  /** A read-only migrator run ("check" mode): one connection, one ledger read, no lock. */
  checkMigrations: () => Promise<Pick<MigratorReport, "version" | "pending">>;
  now: () => Date;
}

/**
 * Probes have short timeouts (Kubernetes: 1 s by default), and a probe that hangs is reported as a
 * failure without a reason; an answer with the reason is more useful.
 */
export const PING_TIMEOUT_MS = 2_000;

/**
 * With MIGRATE_ON_BOOT=false, someone applies the pending migrations from a release step while
 * this server runs; health re-reads the ledger at most this often so it turns 200 without a
 * restart, and a flood of probes costs at most one query per interval (on the app's pool when the
 * migrations URL is the app's, else on one extra connection).
 */
export const PENDING_RECHECK_INTERVAL_MS = 5_000;

const defaultDependencies: HealthDependencies = {
  readState: readMigrationState,
  publishState: publishMigrationState,
  pingDatabase: async () => {
    await withTimeout(getDb().execute(sql`select 1`), PING_TIMEOUT_MS, "select 1");
  },
  checkMigrations: () => {
    // No connect retries: the ping has just reached the database, and a probe must not hang.
    const settings = migratorSettingsFromEnv(readEnv(), { connectWaitMs: 0 });
    return runMigrator(settings, {
      mode: "check",
      log: silentLog,
      appPool: appPoolFor(settings.url),
    });
  },
  now: () => new Date(),
};

let recheckInFlight: Promise<void> | undefined;

/** What `/api/health` answers: 200 only when the database answers and no migration is owed. */
export async function checkHealth(
  dependencies: Partial<HealthDependencies> = {},
): Promise<HealthReport> {
  const deps = { ...defaultDependencies, ...dependencies };
  const state = deps.readState();
  if (state === undefined) {
    return unavailable("the boot migrator has not run in this process (instrumentation missing?)");
  }
  if (state.status === "starting") return unavailable("migrations are still being checked");
  if (state.status === "failed") {
    return unavailable(`migrations failed: ${state.error}`, { code: state.code });
  }

  try {
    await deps.pingDatabase();
  } catch (error) {
    return unavailable(`the database is unreachable: ${errorMessage(error)}`, {
      version: state.version,
    });
  }

  if (state.status === "ready") {
    return { httpStatus: 200, body: { status: "ok", version: state.version, pending: 0 } };
  }

  let recheckError: unknown;
  const age = deps.now().getTime() - Date.parse(state.checkedAt);
  if (age >= PENDING_RECHECK_INTERVAL_MS) {
    recheckInFlight ??= recheck(state, deps).finally(() => {
      recheckInFlight = undefined;
    });
    recheckError = await recheckInFlight.then(
      () => undefined,
      (error: unknown) => error,
    );
  }
  const current = deps.readState() ?? state;
  if (current.status === "ready") {
    return { httpStatus: 200, body: { status: "ok", version: current.version, pending: 0 } };
  }
  if (recheckError !== undefined) {
    return unavailable(`could not re-check migrations: ${errorMessage(recheckError)}`, {
      version: state.version,
      pending: state.pending,
    });
  }
  const pending = current.status === "pending" ? current.pending : state.pending;
  return unavailable(
    `${pending.length} migration(s) pending; apply them with \`npm run db:migrate\``,
    { version: state.version, pending },
  );
}

async function recheck(
  previous: Extract<MigrationState, { status: "pending" }>,
  deps: HealthDependencies,
): Promise<void> {
  try {
    deps.publishState(stateFromReport(await deps.checkMigrations(), deps.now()));
  } catch (error) {
    // Keep reporting what boot found, but wait a full interval before trying again.
    deps.publishState({ ...previous, checkedAt: deps.now().toISOString() });
    throw error;
  }
}

function unavailable(
  reason: string,
  details: Omit<Extract<HealthBody, { status: "unavailable" }>, "status" | "reason"> = {},
): HealthReport {
  return { httpStatus: 503, body: { status: "unavailable", reason, ...details } };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
