import { performance } from "node:perf_hooks";

/** One line of the bench output: what `--json` prints for each scenario key. */
export interface Measurement {
  median: number;
  min: number;
  max: number;
  runs: number;
  unit: string;
}

/** Milliseconds `fn` took, measured with the monotonic clock. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs every variant once per round, rotating which goes first, so that drift on a shared machine
 * (another process waking up, the page cache warming) lands on all variants alike rather than on
 * whichever happened to run last. Warm-up rounds are run and thrown away: the first call of each
 * variant pays for module loading and JIT.
 */
export async function interleave<Name extends string, Sample = number>(
  variants: Record<Name, () => Promise<Sample>>,
  options: { runs: number; warmup?: number },
): Promise<Record<Name, Sample[]>> {
  const names = Object.keys(variants) as Name[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Record<
    Name,
    Sample[]
  >;
  const warmup = options.warmup ?? 1;
  for (let round = 0; round < warmup + options.runs; round++) {
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(round + offset) % names.length] as Name;
      const value = await variants[name]();
      if (round >= warmup) samples[name].push(value);
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values: the scenario recorded no run");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarize(values: readonly number[], unit: string): Measurement {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
    unit,
  };
}

/** A value computed once (a slope, an R², a count checked in every run and found constant). */
export function single(value: number, unit: string): Measurement {
  return { median: value, min: value, max: value, runs: 1, unit };
}

/** Element-wise `f(a[i], b[i])` of two interleaved sample lists, e.g. per-round ratios. */
export function paired(
  a: readonly number[],
  b: readonly number[],
  f: (x: number, y: number) => number,
): number[] {
  if (a.length !== b.length)
    throw new Error(`paired samples differ in length: ${a.length} vs ${b.length}`);
  return a.map((x, i) => f(x, b[i] as number));
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 means the points lie exactly on the line. */
  r2: number;
}

/** Ordinary least squares of `ys` on `xs`. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length || xs.length < 2) {
    throw new Error(
      `a linear fit needs at least two (x, y) pairs, got ${xs.length} and ${ys.length}`,
    );
  }
  const n = xs.length;
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    const dy = (ys[i] as number) - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error(`percentile of no values: nothing was measured`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}
