import { createHash, timingSafeEqual } from "node:crypto";
import {
  combineSets,
  type FailureFacts,
  inspectMigrationSets,
  pendingTags,
  silentLog,
} from "drizzle-boot-migrator";
import { sql } from "drizzle-orm";
import { type Env, readEnv } from "@/env";
import { appPoolFor, getDb } from "@/lib/db";
import { configuredMigrationSets, migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import { type MigrationState, readMigrationState } from "@/server/migration-state";

/** What anyone may see: whether the server is fit for traffic, nothing about its insides. */
export type PublicHealthBody = { status: "ok" | "unavailable" };

/** What development and callers with HEALTH_TOKEN see. */
export interface DetailedHealthBody {
  status: "ok" | "unavailable";
  /** Why the server is unavailable. */
  reason?: string;
  /** The newest migration of this build that the ledger records. */
  version?: string | null;
  /** Migrations of this build the ledger lacks. */
  pending?: string[];
  /** Ledger rows this build does not know: a newer release migrated the database. */
  ahead?: number;
  /** The boot's (or the dev loop's) failure, as the migrator named it. */
  failure?: {
    code: string;
    file?: string;
    statement?: string;
    sqlState?: string;
    /** The target's facts behind the code (role, refused object, standby), as boot found them. */
    facts?: FailureFacts;
  };
}

export interface HealthReport {
  httpStatus: 200 | 503;
  body: PublicHealthBody | DetailedHealthBody;
}

/** The ledger compared with this build's folder, as read at `readAt`. */
export interface LedgerReading {
  version: string | null;
  pending: string[];
  ahead: number;
  /** Problems other than a database ahead of this build (those block migrating). */
  problems: { code: string; message: string }[];
}

export interface HealthDependencies {
  env: () => Env;
  readState: () => MigrationState | undefined;
  /** Resolves when the app's own pool answers `select 1`. */
  pingDatabase: () => Promise<void>;
  /** One read-only look at the ledger (the migrator's inspect: one connection, no lock). */
  readLedger: () => Promise<LedgerReading>;
  now: () => number;
  /** Where a 503's full reason goes: the server log keeps what anonymous callers are not shown. */
  logError: (line: string) => void;
}

/**
 * Probes have short timeouts (Kubernetes: 1 s by default), and a probe that hangs is reported as a
 * failure without a reason; an answer with the reason is more useful.
 */
export const PING_TIMEOUT_MS = 2_000;

/**
 * The ledger is read at most this often (and again whenever the published migration state
 * changes), so health follows a `db:migrate` from elsewhere within seconds while a flood of probes
 * costs at most one query per interval (on the app's pool when the migrations URL is the app's,
 * else on one migrator connection).
 */
export const LEDGER_CACHE_MS = 3_000;

const defaultDependencies: HealthDependencies = {
  env: readEnv,
  readState: readMigrationState,
  pingDatabase: async () => {
    await withTimeout(getDb().execute(sql`select 1`), PING_TIMEOUT_MS, "select 1");
  },
  readLedger: async () => {
    // No connect retries: the ping has just reached the database, and a probe must not hang.
    const settings = migratorSettingsFromEnv(readEnv(), {
      connectWaitMs: 0,
      allowUnknownApplied: true,
    });
    const statuses = await inspectMigrationSets(settings, configuredMigrationSets(), {
      log: silentLog,
      appPool: appPoolFor(settings.url),
    });
    return {
      ...combineSets(statuses.map(pendingTags)),
      ahead: statuses.reduce((sum, { status }) => sum + status.unknown.length, 0),
      problems: statuses.flatMap(({ status }) =>
        status.problems.map(({ code, message }) => ({ code, message })),
      ),
    };
  },
  now: () => Date.now(),
  logError: (line) => console.error(line),
};

interface CachedReading {
  at: number;
  state: MigrationState | undefined;
  reading: Promise<LedgerReading>;
}

const cacheKey = Symbol.for("agency-reporting.healthLedgerReading");
const lastLoggedKey = Symbol.for("agency-reporting.healthLastLogged");
type HealthHolder = { [cacheKey]?: CachedReading; [lastLoggedKey]?: string };
const holder = globalThis as HealthHolder;

/** Forgets the cached ledger reading (tests, one per case). */
export function forgetLedgerReading(): void {
  delete holder[cacheKey];
  delete holder[lastLoggedKey];
}

/**
 * What `/api/health` answers: 200 when the database answers and this build's migrations are all
 * applied. A database ahead of this build (a newer release migrated it during a rolling deploy)
 * stays 200 in production: the previous release must keep serving until it is replaced, and
 * failing its probes would take capacity away in the middle of the deploy. Details (version,
 * pending, the failure) only in development or with `Authorization: Bearer <HEALTH_TOKEN>`.
 */
export async function checkHealth(
  authorization: string | null,
  dependencies: Partial<HealthDependencies> = {},
): Promise<HealthReport> {
  const deps = { ...defaultDependencies, ...dependencies };
  const env = deps.env();
  const detailed = await assess(env, deps);
  if (detailed.status === "unavailable") {
    if (holder[lastLoggedKey] !== detailed.reason) {
      deps.logError(`[health] 503: ${detailed.reason}`);
      holder[lastLoggedKey] = detailed.reason;
    }
  } else {
    delete holder[lastLoggedKey];
  }
  const httpStatus = detailed.status === "ok" ? 200 : 503;
  const body = mayShowDetails(authorization, env) ? detailed : { status: detailed.status };
  return { httpStatus, body };
}

async function assess(env: Env, deps: HealthDependencies): Promise<DetailedHealthBody> {
  const state = deps.readState();
  if (state === undefined) {
    return unavailable("the boot migrator has not run in this process (instrumentation missing?)");
  }
  if (state.status === "starting") return unavailable("migrations are still being checked");
  if (state.status === "failed") {
    return {
      ...unavailable(`migrations failed (${state.code}): ${state.error}`),
      failure: {
        code: state.code,
        file: state.tag === undefined ? undefined : `drizzle/${state.tag}.sql`,
        statement: state.statement,
        sqlState: state.sqlState,
        facts: state.facts,
      },
    };
  }
  try {
    await deps.pingDatabase();
  } catch (error) {
    return unavailable(`the database is unreachable: ${errorMessage(error)}`);
  }
  let reading: LedgerReading;
  try {
    reading = await cachedReading(state, deps);
  } catch (error) {
    return unavailable(`could not read the migrations ledger: ${errorMessage(error)}`);
  }
  const live = { version: reading.version, pending: reading.pending, ahead: reading.ahead };
  const [problem] = reading.problems;
  if (problem) return { ...unavailable(`${problem.code}: ${problem.message}`), ...live };
  if (reading.pending.length > 0) {
    return {
      ...unavailable(
        `${reading.pending.length} migration(s) pending (${reading.pending.join(", ")}); apply ` +
          "them with `npm run db:migrate`",
      ),
      ...live,
    };
  }
  // In development an unknown migration means a branch switch: the boot refuses it, and so does this.
  if (reading.ahead > 0 && env.NODE_ENV === "development") {
    return {
      ...unavailable(
        `the database records ${reading.ahead} migration(s) this checkout does not have; ` +
          "`npm run db:reset` rebuilds the dev database",
      ),
      ...live,
    };
  }
  return { status: "ok", ...live };
}

function cachedReading(state: MigrationState, deps: HealthDependencies): Promise<LedgerReading> {
  const cached = holder[cacheKey];
  const now = deps.now();
  if (cached && cached.state === state && now - cached.at < LEDGER_CACHE_MS) return cached.reading;
  const reading = deps.readLedger();
  holder[cacheKey] = { at: now, state, reading };
  // A failed read is not kept: the next probe tries again.
  reading.catch(() => {
    if (holder[cacheKey]?.reading === reading) delete holder[cacheKey];
  });
  return reading;
}

/** Development shows everything; otherwise only a caller presenting HEALTH_TOKEN. */
function mayShowDetails(authorization: string | null, env: Env): boolean {
  if (env.NODE_ENV === "development") return true;
  const token = env.HEALTH_TOKEN;
  if (!token || !authorization?.startsWith("Bearer ")) return false;
  // Digests have one length, so the comparison takes the same time whatever was sent.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(authorization.slice("Bearer ".length)), digest(token));
}

function unavailable(reason: string): DetailedHealthBody & { reason: string } {
  return { status: "unavailable", reason };
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
