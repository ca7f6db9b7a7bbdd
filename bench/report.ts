import type { Measurement } from "./measure";
import type { BenchRow, MeasuredRow, Scenario } from "./scenario";

export interface ScenarioOutcome {
  scenario: Scenario;
  rows: BenchRow[];
  error?: unknown;
}

/** What `--json` prints: one object, "<scenario>.<key>" → measurement. */
export function toJson(outcomes: ScenarioOutcome[]): Record<string, Measurement> {
  const result: Record<string, Measurement> = {};
  for (const { scenario, rows } of outcomes) {
    for (const row of rows) {
      if ("measurement" in row) result[`${scenario.name}.${row.key}`] = row.measurement;
    }
  }
  return result;
}

export function toTable(outcomes: ScenarioOutcome[], header: string[]): string {
  const lines = [...header, ""];
  for (const { scenario, rows, error } of outcomes) {
    lines.push(`## ${scenario.name}: ${scenario.title}`);
    if (error !== undefined) {
      lines.push(`  FAILED: ${error instanceof Error ? error.message : String(error)}`, "");
      continue;
    }
    const cells = rows.map((row) =>
      "measurement" in row
        ? measuredCells(row)
        : [row.key, "", "", "", "", "", `does not apply: ${row.doesNotApply}`],
    );
    lines.push(...alignColumns([["", "median", "min", "max", "runs", "unit", ""], ...cells]), "");
  }
  return lines.join("\n");
}

function measuredCells(row: MeasuredRow): string[] {
  return [
    row.key,
    format(row.measurement.median),
    format(row.measurement.min),
    format(row.measurement.max),
    String(row.measurement.runs),
    row.measurement.unit,
    [row.note, targetVerdict(row)].filter(Boolean).join(": "),
  ];
}

function targetVerdict(row: MeasuredRow): string | undefined {
  if (row.atMost === undefined) return undefined;
  return row.measurement.median <= row.atMost ? "met" : "MISSED";
}

function format(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** Left-aligns the first column and the note, right-aligns the numbers. */
function alignColumns(table: string[][]): string[] {
  const widths =
    table[0]?.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0))) ?? [];
  const last = widths.length - 1;
  return table.map((row) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        if (column === last) return cell;
        return column === 0 || column === last - 1 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ")
      .trimEnd(),
  );
}
