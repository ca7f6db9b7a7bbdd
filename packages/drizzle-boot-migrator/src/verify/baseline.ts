/**
 * Baseline: adopts a database that has the schema but no ledger (built with `drizzle-kit
 * push`, by hand, or by another tool). When its schema is what the whole folder builds (the
 * comparison of verify), it records every migration in the ledger as drizzle would, without
 * running any; otherwise it refuses and names the differences.
 */

import postgres from "postgres";
import { ledgerName, type MigrationFile, readMigrationFolder } from "../drizzle-0.45/format.ts";
import { recordInTransaction } from "../index.ts";
import { MIGRATION_LOCK_KEY } from "../lock.ts";
import type { MigrationSet } from "../settings.ts";
import { type AcknowledgedDifference, applyAcknowledgements } from "./acknowledgements.ts";
import { compareCatalogs } from "./compare.ts";
import type { ExpectedSchema } from "./expected.ts";
import { DEFAULT_READ_TIMEOUTS, openLive, readLedgers, readServerVersion } from "./live.ts";
import { buildOnScratch, readLiveCatalog, type VerifyOptions } from "./verify.ts";

export interface BaselineReport {
  outcome: "recorded" | "refused";
  /** Why it refused. */
  reason?: string;
  server: { version: string; major: number };
  builtOn?: ExpectedSchema["builtOn"];
  differences: AcknowledgedDifference[];
  /** What was written: each set's ledger and the migrations it now records. */
  recorded: { folder: string; ledger: string; tags: string[] }[];
}

export async function baselineDatabase(options: VerifyOptions): Promise<BaselineReport> {
  const timeouts = { ...DEFAULT_READ_TIMEOUTS, ...options.timeouts };
  const files = options.sets.map((set) => readMigrationFolder(set.migrationsFolder));
  const live = openLive(options.url, timeouts, options.applicationName ?? "drizzle-baseline");
  let server: BaselineReport["server"];
  let builtOn: ExpectedSchema["builtOn"];
  let differences: AcknowledgedDifference[];
  try {
    const first = await live.read(async (tx) => ({
      server: await readServerVersion(tx),
      ledgers: await readLedgers(tx, options.sets),
    }));
    server = first.server;
    const refused = (reason: string, more: Partial<BaselineReport> = {}): BaselineReport => ({
      outcome: "refused",
      reason,
      server,
      differences: [],
      recorded: [],
      ...more,
    });
    const recorded = options.sets.findIndex((_, index) => (first.ledgers[index] ?? []).length > 0);
    if (recorded >= 0) return refused(alreadyRecorded(options.sets[recorded] as MigrationSet));

    const expected = await buildOnScratch(options, server, {
      sets: options.sets.map((set, index) => ({
        set,
        tags: (files[index] ?? []).map((file) => file.tag),
      })),
    });
    builtOn = expected.builtOn;
    const actual = await readLiveCatalog(live, options, expected.catalog, first.ledgers);
    if (!actual) {
      return refused("a migrator wrote the ledger meanwhile: the database is managed now", {
        builtOn,
      });
    }
    ({ differences } = applyAcknowledgements(
      compareCatalogs(expected.catalog, actual),
      options.acknowledgements ?? [],
    ));
    const blocking = differences.filter((difference) => !difference.acknowledged);
    if (blocking.length > 0) {
      return refused(
        `the schema differs from what the migrations build in ${blocking.length} way(s): ` +
          `${blocking.map((difference) => `${difference.code} ${difference.object}`).join(", ")}. ` +
          "Make it match (the advice of each difference), or acknowledge a difference with a " +
          "reason; nothing was recorded.",
        { builtOn, differences },
      );
    }
  } finally {
    await live.close();
  }
  const written = await recordAll(options, files, timeouts);
  if (typeof written === "string") {
    return { outcome: "refused", reason: written, server, builtOn, differences, recorded: [] };
  }
  return { outcome: "recorded", server, builtOn, differences, recorded: written };
}

function alreadyRecorded(set: MigrationSet): string {
  return (
    `${ledgerName(set.ledger)} already records migrations: the database is managed by its ` +
    "migrations, so there is nothing to adopt: verify checks its schema."
  );
}

/**
 * Every migration of each set recorded in its ledger, in one transaction holding the migration
 * lock (a migrator that starts meanwhile waits, then finds them applied), after checking again
 * that the ledgers are empty. A string says why nothing was written.
 */
async function recordAll(
  options: VerifyOptions,
  files: MigrationFile[][],
  timeouts: typeof DEFAULT_READ_TIMEOUTS,
): Promise<BaselineReport["recorded"] | string> {
  const sql = postgres(options.url, {
    max: 1,
    prepare: false,
    connect_timeout: timeouts.connectSeconds,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "drizzle-baseline" },
  });
  try {
    return (await sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(timeouts.statementMs)}, true),
        set_config('lock_timeout', ${String(timeouts.lockMs)}, true)`;
      await tx`select pg_advisory_xact_lock(${String(MIGRATION_LOCK_KEY)}::bigint)`;
      const ledgers = await readLedgers(tx, options.sets);
      const recorded = options.sets.findIndex((_, index) => (ledgers[index] ?? []).length > 0);
      if (recorded >= 0) return alreadyRecorded(options.sets[recorded] as MigrationSet);
      const written: BaselineReport["recorded"] = [];
      for (const [index, set] of options.sets.entries()) {
        const setFiles = files[index] ?? [];
        for (const file of setFiles) await recordInTransaction(tx, sql, set, file);
        written.push({
          folder: set.migrationsFolder,
          ledger: ledgerName(set.ledger),
          tags: setFiles.map((file) => file.tag),
        });
      }
      return written;
    })) as BaselineReport["recorded"] | string;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
