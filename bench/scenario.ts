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
  /** What the figure means or which target it meets, for the table only. */
  note?: string;
}

export interface Scenario {
  /** Selects the scenario with `--only`; prefixes its keys. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

/** "0.42 (met)" / "1.30 (MISSED)": how a figure compares with its upper bound, for notes. */
export function verdict(value: number, atMost: number, digits = 2): string {
  return `${value.toFixed(digits)} (${value <= atMost ? "met" : "MISSED"})`;
}
