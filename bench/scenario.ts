import type { Measurement } from "./measure";

export interface BenchContext {
  /** A superuser URL on the bench's Postgres server; scenarios create their databases on it. */
  adminUrl: string;
  /**
   * The number of runs for a figure: `full` normally, `quick` (default 1) with `--quick`, which
   * checks that every scenario works and gives no figure to quote.
   */
  runs(full: number, quick?: number): number;
  /** Warm-up rounds: `full` normally, none with `--quick`. */
  warmup(full: number): number;
  /** Progress for the human watching; goes to stderr so `--json` output stays one object. */
  log(line: string): void;
}

/** A line of a scenario's table: a measured figure, or a figure that does not apply. */
export type BenchRow = MeasuredRow | NotApplyingRow;

export interface MeasuredRow {
  /** The key in `--json` output, e.g. "boot-check.ours". */
  key: string;
  measurement: Measurement;
  /** What the figure means, for the table only. */
  note?: string;
  /** An upper bound from issue 5; the table says whether the median meets it. */
  atMost?: number;
}

/**
 * A figure the scenario measures elsewhere but that has no meaning here (the lock hand-off on a
 * driver with one session): the table says why, `--json` leaves it out rather than invent a number.
 */
export interface NotApplyingRow {
  key: string;
  /** Why, in one line. */
  doesNotApply: string;
}

export interface Scenario {
  /** Selects the scenario with `--only`; prefixes its keys. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}
