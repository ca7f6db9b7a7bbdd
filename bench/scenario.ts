import type { Measurement } from "./measure";

export interface BenchContext {
  /** A superuser URL on the bench's Postgres server; scenarios create their databases on it. */
  adminUrl: string;
  /** `--quick`: a few runs per figure, to check that every scenario works, not to quote. */
  quick: boolean;
  /** The number of runs for a figure: `full` normally, `quick` (default 2) with `--quick`. */
  runs(full: number, quick?: number): number;
  /** Progress for the human watching; goes to stderr so `--json` output stays one object. */
  log(line: string): void;
}

export interface BenchRow {
  /** The key in `--json` output, e.g. "boot-check.ours". */
  key: string;
  measurement: Measurement;
  /** What the figure means, for the table only. */
  note?: string;
  /** An upper bound from issue 5; the table says whether the median meets it. */
  atMost?: number;
}

export interface Scenario {
  /** Selects the scenario with `--only`; prefixes its keys. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}
