/**
 * The expected schema: the migrations a ledger lists as applied, applied by the migrator itself
 * to an empty scratch database, then read like the live one (./catalog.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { copyMigrations } from "../drizzle-0.45/folder-writes.ts";
import { runMigrator } from "../run.ts";
import type { MigrationSet, MigratorSettings } from "../settings.ts";
import { type Catalog, readCatalogIn } from "./catalog.ts";
import { readServerVersion, userSchemas } from "./live.ts";

/** An empty database that the expected schema is built in, dropped after reading it. */
export interface ScratchDatabase {
  url: string;
  /** Says where it is, e.g. `embedded PostgreSQL 15.18`, for the output. */
  description: string;
  drop(): Promise<void>;
}

/** Makes the scratch database, ideally on a server of the live server's major. */
export type ScratchSource = (live: { version: string; major: number }) => Promise<ScratchDatabase>;

export interface ExpectedSchema {
  catalog: Catalog;
  /** Where it was built. */
  builtOn: { description: string; version: string; major: number };
}

/**
 * The migrator's settings on the scratch database: nothing else uses it, so no lock waits and no
 * timeouts that guard a live app's traffic; a long statement (a big index) may take its time.
 */
const SCRATCH_MIGRATOR: Omit<
  MigratorSettings,
  "url" | "migrationsFolder" | "ledger" | "applicationName"
> = {
  urlVariable: "the scratch database's URL",
  lockWaitMs: 10_000,
  lockTimeoutMs: 10_000,
  lockTimeoutRetries: 0,
  statementTimeoutMs: 0,
  idleInTransactionTimeoutMs: 60_000,
  idleSessionTimeoutMs: 60_000,
  noTransactionStatementTimeoutMs: 0,
  connectWaitMs: 10_000,
  appPoolMax: 1,
  allowUnknownApplied: false,
};

const silent = { info() {}, warn() {}, error() {} };

/**
 * Applies, set by set in order, the migrations each set's `tags` names (in journal order) to a
 * database from `scratch`, and reads its catalog in every schema it then has, the ledgers aside.
 * The migrator's own errors (a migration that fails on this server) are thrown as they are.
 * `applicationName` names the migrator's session in the scratch server's `pg_stat_activity`.
 */
export async function buildExpectedSchema(
  scratch: ScratchDatabase,
  sets: { set: MigrationSet; tags: string[] }[],
  applicationName: string,
): Promise<ExpectedSchema> {
  for (const { set, tags } of sets) {
    const folder = await folderOf(set.migrationsFolder, tags);
    try {
      await runMigrator(
        {
          ...SCRATCH_MIGRATOR,
          applicationName,
          url: scratch.url,
          migrationsFolder: folder,
          ledger: set.ledger,
        },
        { mode: "apply", log: silent },
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    return await sql.begin("read only", async (tx) => {
      const server = await readServerVersion(tx);
      const catalog = await readCatalogIn(tx, {
        schemas: await userSchemas(tx),
        exclude: sets.map(({ set }) => set.ledger),
      });
      return { catalog, builtOn: { description: scratch.description, ...server } };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * A copy of `folder` whose journal lists only `tags` (the files copied byte for byte, so that
 * their hashes are the ledger's).
 */
async function folderOf(folder: string, tags: string[]): Promise<string> {
  const copy = await mkdtemp(path.join(os.tmpdir(), "verify-expected-"));
  copyMigrations(folder, copy, tags);
  return copy;
}
