import { rmSync } from "node:fs";
import path from "node:path";
import { generatedFolder } from "../../test/support/real-world-folders";
import { interleave, linearFit, median, single, summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { writeSyntheticMigrations } from "../support/fixtures";
import { ours, plain } from "../support/migrators";

export const SCALE_SIZES = [10, 100, 500] as const;

/** The size of the folder shaped like a real project's (test/support/real-world-folders.ts). */
export const REAL_WORLD_SIZE = 240;

const VARIANTS = ["ours", "plain"] as const;

/**
 * Scenario 2: the up-to-date check of scenario 1 against 10, 100 and 500 synthetic migrations,
 * all applied. Both migrators read and hash every file on every boot; ours also compares each
 * hash with its ledger row, so its cost per file is the slope of time over file count. Next to
 * them, the same check on a folder of 240 migrations shaped like a project's of several years
 * (tables, columns, foreign keys, indexes, type changes), which the tests apply with both tools.
 */
export const scale: Scenario = {
  name: "scale",
  title: "Up-to-date boot check vs number of migration files (all applied)",
  async run(context) {
    const rows: BenchRow[] = [];
    const afterConnectMedians = { ours: [] as number[], plain: [] as number[] };
    for (const size of SCALE_SIZES) {
      const fixture = await writeSyntheticMigrations(size);
      try {
        const measured = await upToDateCheck(context, `${size}`, fixture.folder);
        rows.push(...measured.rows);
        for (const variant of VARIANTS) {
          afterConnectMedians[variant].push(measured.afterConnectMedians[variant]);
        }
      } finally {
        await fixture.remove();
      }
    }
    rows.push(
      ...fitRows("ours", afterConnectMedians.ours),
      ...fitRows("plain", afterConnectMedians.plain),
    );
    const realWorld = generatedFolder(REAL_WORLD_SIZE);
    try {
      const label = `real-world-${REAL_WORLD_SIZE}`;
      rows.push(...(await upToDateCheck(context, label, realWorld.folder)).rows);
    } finally {
      rmSync(path.dirname(realWorld.folder), { recursive: true, force: true });
    }
    return rows;
  },
};

/** Both variants' up-to-date check on `folder`, applied first (not timed); keys `<variant>.<label>`. */
async function upToDateCheck(
  context: BenchContext,
  label: string,
  folder: string,
): Promise<{ rows: BenchRow[]; afterConnectMedians: Record<(typeof VARIANTS)[number], number> }> {
  const samples = await withBenchDatabase(
    context.adminUrl,
    `scale_${label.replaceAll("-", "_")}`,
    async (database) => {
      context.log(`  applying the ${label} migrations (setup, not timed)`);
      await ours(database.url, folder);
      return interleave(
        { ours: () => ours(database.url, folder), plain: () => plain(database.url, folder) },
        { runs: context.runs(30), warmup: context.warmup(2) },
      );
    },
  );
  const rows: BenchRow[] = [];
  const afterConnectMedians = { ours: 0, plain: 0 };
  for (const variant of VARIANTS) {
    const afterConnect = samples[variant].map((timing) => timing.afterConnectMs);
    afterConnectMedians[variant] = median(afterConnect);
    rows.push(
      {
        key: `${variant}.${label}`,
        measurement: summarize(
          samples[variant].map((timing) => timing.totalMs),
          "ms",
        ),
      },
      { key: `${variant}.${label}.after-connect`, measurement: summarize(afterConnect, "ms") },
    );
  }
  return { rows, afterConnectMedians };
}

/**
 * Least squares of the median time after connecting over the file count (connecting costs the
 * same at every size and is the noisiest part): the slope is the cost of one more file,
 * and R² near 1 says the growth is linear. The slopes between neighbouring sizes say the same
 * from another side: when growth is linear they agree with each other and with the fit.
 */
function fitRows(variant: string, medians: number[]): BenchRow[] {
  const fit = linearFit([...SCALE_SIZES], medians);
  const rows: BenchRow[] = [
    {
      key: `${variant}.per-file`,
      measurement: single(fit.slope * 1_000, "µs/file"),
      note: `least-squares slope of after-connect medians; intercept ${fit.intercept.toFixed(2)} ms`,
    },
    { key: `${variant}.r2`, measurement: single(fit.r2, "R²"), note: "1 = exactly linear" },
  ];
  for (let index = 1; index < SCALE_SIZES.length; index++) {
    const [from, to] = [SCALE_SIZES[index - 1] as number, SCALE_SIZES[index] as number];
    const [fromMs, toMs] = [medians[index - 1] as number, medians[index] as number];
    rows.push({
      key: `${variant}.per-file.${from}-${to}`,
      measurement: single(((toMs - fromMs) / (to - from)) * 1_000, "µs/file"),
      note: `extra time per extra file from ${from} to ${to} files`,
    });
  }
  return rows;
}
