/**
 * One drizzle-orm version's half of the `drizzle-versions` scenario, in a process of its own
 * (drizzle-versions.ts starts it): with test/support/drizzle-1/register.mjs imported after tsx,
 * drizzle-orm resolves to the 1.0 pair in .data/drizzle-1, as in the drizzle-1 tests' processes,
 * and the package picks its adapter from that; without it, to the app's 0.45. Both variants use
 * the same drizzle, so each version is compared with its own `migrate()`. Nothing here loads the
 * app (its schema is written for 0.45). Prints one JSON object (`VersionSamples`) on stdout.
 */
import { performance } from "node:perf_hooks";
import { migratorSettings, runMigrator, silentLog } from "drizzle-boot-migrator";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { npmVersion } from "drizzle-orm/version";
import postgres from "postgres";
import { interleave } from "../measure";

export interface VersionRunInput {
  folder: string;
  /** A database the check runs against, up to date after the first run of ours. */
  checkUrl: string;
  /** Empty databases, one per apply of either variant (warm-up included). */
  applyUrls: string[];
  checkRuns: number;
  applyRuns: number;
  warmup: number;
}

export interface VersionSamples {
  /** drizzle-orm's own version, as this process resolved it. */
  drizzleOrm: string;
  check: { ours: number[]; plain: number[] };
  apply: { ours: number[]; plain: number[] };
  /** Ledger rows after each apply, both variants: each must be the folder's count. */
  ledgerRows: number[];
}

/** The package as a booting server calls it: its own connection, opened and closed. */
async function ours(url: string, migrationsFolder: string): Promise<number> {
  const start = performance.now();
  await runMigrator(migratorSettings({ url, migrationsFolder }), {
    mode: "apply",
    log: silentLog,
  });
  return performance.now() - start;
}

/** drizzle-orm's `migrate()` as its docs show it, on one postgres.js connection. */
async function plain(url: string, migrationsFolder: string): Promise<number> {
  const start = performance.now();
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle({ client }), { migrationsFolder });
  } finally {
    await client.end();
  }
  return performance.now() - start;
}

async function ledgerRows(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client<{ count: number }[]>`
      select count(*)::int as count from drizzle.__drizzle_migrations`;
    return row?.count ?? 0;
  } finally {
    await client.end();
  }
}

async function main(input: VersionRunInput): Promise<VersionSamples> {
  const { folder, checkUrl } = input;
  await ours(checkUrl, folder);
  const check = await interleave(
    { ours: () => ours(checkUrl, folder), plain: () => plain(checkUrl, folder) },
    { runs: input.checkRuns, warmup: input.warmup },
  );

  const fresh = [...input.applyUrls];
  const ledger: number[] = [];
  const onFreshDatabase = (variant: typeof ours) => async () => {
    const url = fresh.shift();
    if (url === undefined) throw new Error("drizzle-version-run: ran out of empty databases");
    const ms = await variant(url, folder);
    ledger.push(await ledgerRows(url));
    return ms;
  };
  const apply = await interleave(
    { ours: onFreshDatabase(ours), plain: onFreshDatabase(plain) },
    { runs: input.applyRuns, warmup: input.warmup },
  );
  return { drizzleOrm: npmVersion, check, apply, ledgerRows: ledger };
}

main(JSON.parse(process.argv[2] ?? "{}") as VersionRunInput).then(
  (samples) => console.log(JSON.stringify(samples)),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 1;
  },
);
