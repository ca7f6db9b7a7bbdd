/**
 * Verify: does the database at a URL have the schema that its applied migrations build?
 * The ledger says which migrations ran; the migrator applies exactly those to a scratch database;
 * the two catalogs are compared (./compare.ts). The live database is only read (./live.ts).
 */
import { type LedgerRow, ledgerName, readMigrationFolder } from "../drizzle-0.45/format.ts";
import type { MigrationSet } from "../settings.ts";
import { type MigrationPlan, planMigrations } from "../validation.ts";
import {
  type AcknowledgedDifference,
  type Acknowledgement,
  applyAcknowledgements,
} from "./acknowledgements.ts";
import { type Catalog, readCatalogIn } from "./catalog.ts";
import { compareCatalogs } from "./compare.ts";
import { buildExpectedSchema, type ExpectedSchema, type ScratchSource } from "./expected.ts";
import {
  DEFAULT_READ_TIMEOUTS,
  type LiveConnection,
  openLive,
  type ReadTimeouts,
  readLedgers,
  readServerVersion,
} from "./live.ts";

export interface VerifyOptions {
  /** The live database (a primary, a replica, or a pooler in front of one). */
  url: string;
  /** The migration sets, in the order they are applied. */
  sets: MigrationSet[];
  /** Where the expected schema is built. */
  scratch: ScratchSource;
  acknowledgements?: Acknowledgement[];
  /**
   * Schemas compared besides `public` and those the migrations create: schemas of the live
   * database that the migrations never touch are not looked at unless named here.
   */
  schemas?: string[];
  timeouts?: Partial<ReadTimeouts>;
  /** In `pg_stat_activity` (the scratch build's session: this with `-scratch`). */
  applicationName?: string;
}

/** The exit code of a verdict: 0 no drift, 1 drift, 2 cannot verify (so is any failure). */
export const VERIFY_EXIT = { match: 0, drift: 1, unverifiable: 2 } as const;

const DEFAULT_APPLICATION_NAME = "drizzle-verify";

/** A set's ledger compared with its folder. */
export interface SetState {
  folder: string;
  ledger: string;
  applied: string[];
  /** In the folder, not applied: not part of the comparison (the database is behind). */
  pending: string[];
  /** Ledger rows of migrations the folder does not have (the database is ahead). */
  unknown: number;
}

export type Verdict =
  /** The schema is what the applied migrations build (acknowledged differences aside). */
  | "match"
  | "drift"
  /** The question has no answer: the ledger is ahead of the folder, or unreadable. */
  | "unverifiable";

export interface VerifyReport {
  verdict: Verdict;
  /** Why the verdict is `unverifiable`. */
  reason?: string;
  /** Unverifiable because a migrator wrote the ledger during the check: worth running again. */
  ledgerChanged?: boolean;
  server: { version: string; major: number };
  /** Where the expected schema was built (absent when nothing was built). */
  builtOn?: ExpectedSchema["builtOn"];
  sets: SetState[];
  /** The schemas compared. */
  schemas: string[];
  differences: AcknowledgedDifference[];
  /** Acknowledgements that match no difference: stale, worth removing. */
  unusedAcknowledgements: Acknowledgement[];
  timings: { liveReadMs: number; buildMs: number; compareMs: number; totalMs: number };
}

/** Plan problems that leave the applied migrations unknown; the others concern applying. */
const UNVERIFIABLE_PROBLEMS = new Set(["CHECKSUM_MISMATCH", "LEDGER_INVALID"]);

export async function verifyDatabase(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const timings = { liveReadMs: 0, buildMs: 0, compareMs: 0, totalMs: 0 };
  const timed = async <T>(key: keyof typeof timings, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[key] += performance.now() - start;
    }
  };
  const files = options.sets.map((set) => readMigrationFolder(set.migrationsFolder));
  const live = openLive(
    options.url,
    { ...DEFAULT_READ_TIMEOUTS, ...options.timeouts },
    options.applicationName ?? DEFAULT_APPLICATION_NAME,
  );
  try {
    const { server, ledgers } = await timed("liveReadMs", () =>
      live.read(async (tx) => ({
        server: await readServerVersion(tx),
        ledgers: await readLedgers(tx, options.sets),
      })),
    );
    const plans = options.sets.map((set, index) =>
      planMigrations(files[index] ?? [], ledgers[index] ?? [], {
        ledger: set.ledger,
        allowUnknownApplied: true,
        serverVersion: server.version,
      }),
    );
    const sets = options.sets.map((set, index) => setState(set, plans[index] as MigrationPlan));
    const report = (fields: Partial<VerifyReport> & Pick<VerifyReport, "verdict">) => ({
      server,
      sets,
      schemas: [],
      differences: [],
      unusedAcknowledgements: [],
      ...fields,
      timings: { ...timings, totalMs: performance.now() - started },
    });
    const unverifiable = whyUnverifiable(options.sets, plans);
    if (unverifiable) return report({ verdict: "unverifiable", reason: unverifiable });

    const expected = await timed("buildMs", () =>
      buildOnScratch(options, server, {
        sets: options.sets.map((set, index) => ({ set, tags: sets[index]?.applied ?? [] })),
      }),
    );
    const actual = await timed("liveReadMs", () =>
      readLiveCatalog(live, options, expected.catalog, ledgers),
    );
    if (!actual) {
      return report({
        verdict: "unverifiable",
        ledgerChanged: true,
        builtOn: expected.builtOn,
        reason:
          "the ledger changed while the database was verified (a migration was applied): " +
          "run the check again",
      });
    }
    const compareStart = performance.now();
    const { differences, unused } = applyAcknowledgements(
      compareCatalogs(expected.catalog, actual),
      options.acknowledgements ?? [],
    );
    timings.compareMs = performance.now() - compareStart;
    return report({
      verdict: differences.some((difference) => !difference.acknowledged) ? "drift" : "match",
      builtOn: expected.builtOn,
      schemas: actual.schemas,
      differences,
      unusedAcknowledgements: unused,
    });
  } finally {
    await live.close();
  }
}

function setState(set: MigrationSet, plan: MigrationPlan): SetState {
  return {
    folder: set.migrationsFolder,
    ledger: ledgerName(set.ledger),
    applied: plan.applied.map((migration) => migration.tag),
    pending: plan.pending.map((file) => file.tag),
    unknown: plan.unknown.length,
  };
}

function whyUnverifiable(sets: MigrationSet[], plans: MigrationPlan[]): string | undefined {
  for (const [index, plan] of plans.entries()) {
    const set = sets[index] as MigrationSet;
    if (plan.unknown.length > 0) {
      return (
        `the database is ahead of ${set.migrationsFolder}: ${ledgerName(set.ledger)} records ` +
        `${plan.unknown.length} migration(s) this folder does not have, so what they built is ` +
        "unknown here. Verify with the code that applied them (a newer release)."
      );
    }
    const problem = plan.problems.find((found) => UNVERIFIABLE_PROBLEMS.has(found.code));
    if (problem) return `${problem.code}: ${problem.message}`;
  }
  return undefined;
}

/** Builds the expected schema on a scratch database, which is dropped however the build ends. */
export async function buildOnScratch(
  options: Pick<VerifyOptions, "scratch" | "applicationName">,
  server: { version: string; major: number },
  build: { sets: { set: MigrationSet; tags: string[] }[] },
): Promise<ExpectedSchema> {
  const database = await options.scratch(server);
  try {
    const applicationName = `${options.applicationName ?? DEFAULT_APPLICATION_NAME}-scratch`;
    return await buildExpectedSchema(database, build.sets, applicationName);
  } finally {
    await database.drop();
  }
}

/**
 * The live catalog in the expected schemas (and `public` and `options.schemas`), read in the
 * same snapshot as the ledgers, which must still be `ledgers`: undefined when they changed.
 */
export function readLiveCatalog(
  live: LiveConnection,
  options: Pick<VerifyOptions, "sets" | "schemas">,
  expected: Catalog,
  ledgers: LedgerRow[][],
): Promise<Catalog | undefined> {
  const schemas = [...new Set(["public", ...expected.schemas, ...(options.schemas ?? [])])];
  return live.read(async (tx) => {
    const now = await readLedgers(tx, options.sets);
    if (JSON.stringify(now) !== JSON.stringify(ledgers)) return undefined;
    return readCatalogIn(tx, { schemas, exclude: options.sets.map((set) => set.ledger) });
  });
}
