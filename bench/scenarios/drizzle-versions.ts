import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startCommand } from "@tools/cli/run-command";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "@tools/database-source/databases";
import {
  DRIZZLE_1_REGISTER,
  DRIZZLE_1_VERSION,
  installedDrizzle1,
} from "../../test/support/drizzle-1/paths";
import { paired, summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import type { VersionRunInput, VersionSamples } from "../support/drizzle-version-run";
import { type FolderLayout, writeSyntheticMigrations } from "../support/fixtures";

const COUNT = 100;
const VERSIONS: FolderLayout[] = ["0.45", "1"];
const RUNNER = fileURLToPath(new URL("../support/drizzle-version-run.ts", import.meta.url));
const INSTALL = fileURLToPath(new URL("../../test/support/drizzle-1/install.ts", import.meta.url));

/**
 * The package on drizzle-orm 0.45 and on 1.0, each beside that version's own `migrate()`: the
 * up-to-date boot check and an empty database brought through 100 migrations, each version's
 * folder in its own layout. Each version runs in a process of its own (drizzle-version-run.ts);
 * 1.0 resolves from .data/drizzle-1 as in `npm run test:drizzle-1`, installed first if missing.
 * Each process's runs are split in two, run in the order 0.45, 1, 1, 0.45, so drift on a shared
 * machine lands on both versions alike.
 */
export const drizzleVersions: Scenario = {
  name: "drizzle-versions",
  title: `drizzle-orm 0.45 and ${DRIZZLE_1_VERSION}: up-to-date boot check and a ${COUNT}-migration apply, ours vs each version's migrate()`,
  async run(context) {
    if (installedDrizzle1() !== DRIZZLE_1_VERSION) {
      context.log(`[bench] installing drizzle-orm ${DRIZZLE_1_VERSION} into .data/drizzle-1`);
      execFileSync(process.execPath, ["--import", "tsx", INSTALL], { stdio: "ignore" });
    }
    const halves = context.runs(2, 1);
    const order = halves === 1 ? VERSIONS : [...VERSIONS, ...[...VERSIONS].reverse()];
    const samples = new Map<FolderLayout, VersionSamples[]>();
    for (const version of order) {
      const result = await runVersion(context, version, {
        checkRuns: Math.ceil(context.runs(60, 2) / halves),
        applyRuns: Math.ceil(context.runs(8, 1) / halves),
        warmup: context.warmup(2),
      });
      samples.set(version, [...(samples.get(version) ?? []), result]);
    }
    return VERSIONS.flatMap((version) => rowsOf(version, samples.get(version) ?? []));
  },
};

/** One process of `version` on databases made for it, dropped afterwards. */
async function runVersion(
  context: BenchContext,
  version: FolderLayout,
  runs: Pick<VersionRunInput, "checkRuns" | "applyRuns" | "warmup">,
): Promise<VersionSamples> {
  const folder = await writeSyntheticMigrations(COUNT, { layout: version });
  const names = Array.from({ length: 1 + 2 * (runs.warmup + runs.applyRuns) }, () =>
    uniqueDatabaseName("bench_versions"),
  );
  try {
    for (const name of names) await createDatabase(context.adminUrl, name);
    const [checkUrl = "", ...applyUrls] = names.map((name) => databaseUrl(context.adminUrl, name));
    const input: VersionRunInput = { folder: folder.folder, checkUrl, applyUrls, ...runs };
    const imports = version === "1" ? ["--import", DRIZZLE_1_REGISTER] : [];
    const run = await startCommand(
      process.execPath,
      ["--import", "tsx", ...imports, RUNNER, JSON.stringify(input)],
      { cwd: process.cwd(), env: process.env },
    ).exited;
    if (run.code !== 0) throw new Error(`drizzle ${version}'s process failed:\n${run.output}`);
    const result = JSON.parse(run.stdout) as VersionSamples;
    const expected = version === "1" ? DRIZZLE_1_VERSION : "0.";
    if (!result.drizzleOrm.startsWith(expected)) {
      throw new Error(`drizzle ${version}'s process ran drizzle-orm ${result.drizzleOrm}`);
    }
    const short = result.ledgerRows.filter((rows) => rows !== COUNT);
    if (short.length > 0) {
      throw new Error(`drizzle ${version}: an apply left ${short[0]} of ${COUNT} ledger rows`);
    }
    return result;
  } finally {
    for (const name of names) await dropDatabase(context.adminUrl, name).catch(() => {});
    await folder.remove();
  }
}

function rowsOf(version: FolderLayout, results: VersionSamples[]): BenchRow[] {
  const all = (pick: (result: VersionSamples) => number[]) => results.flatMap(pick);
  const drizzleOrm = results[0]?.drizzleOrm ?? "?";
  const rows: BenchRow[] = [];
  for (const [phase, label] of [
    ["check", "up-to-date boot check"],
    ["apply", `empty database → ${COUNT} migrations`],
  ] as const) {
    const ours = all((result) => result[phase].ours);
    const plain = all((result) => result[phase].plain);
    const key = `${version}.${phase === "check" ? "check" : `apply-${COUNT}`}`;
    rows.push(
      {
        key: `${key}.ours`,
        measurement: summarize(ours, "ms"),
        note: `${label}, the package on drizzle-orm ${drizzleOrm}, incl. connect and close`,
      },
      {
        key: `${key}.plain`,
        measurement: summarize(plain, "ms"),
        note: `drizzle-orm ${drizzleOrm}'s own migrate()`,
      },
      {
        key: `${key}.ratio.ours/plain`,
        measurement: summarize(
          paired(ours, plain, (a, b) => a / b),
          "×",
        ),
        note: "per-round ratios",
      },
    );
  }
  rows.push({
    key: `${version}.apply-${COUNT}.ledger-rows`,
    measurement: summarize(
      all((result) => result.ledgerRows),
      "rows",
    ),
    note: "counted after every apply of both variants",
  });
  return rows;
}
