import { type Measurement, paired, summarize } from "../measure";
import type { BenchRow } from "../scenario";

/**
 * The round trip the relay adds when the boot check's cost is measured: a database a region
 * away, where a connection's handshake (TCP, startup, authentication, postgres.js's type lookup:
 * 4–6 round trips) stands out from the spread of everything else.
 */
export const RELAY_ROUND_TRIP_MS = 10;

/** One cold start: how long until the first answer, and how many connections the relay saw. */
export interface ColdStartSample {
  ms: number;
  connections: number;
}

export interface CheckedVariant {
  samples: ColdStartSample[];
  note: string;
  /** Whether this variant is held to the aim: the check costs at most one round trip. */
  aim?: boolean;
}

/**
 * Rows for each variant that checks against the `noCheck` baseline: its time, its per-round cost
 * over the baseline and the connections it opened; then the relay's measured round trip.
 */
export function checkCostRows(
  noCheck: CheckedVariant,
  checked: Record<string, CheckedVariant>,
  relayRoundTrip: Measurement,
): BenchRow[] {
  const ms = (samples: ColdStartSample[]) => samples.map((sample) => sample.ms);
  const connections = (samples: ColdStartSample[]) =>
    summarize(
      samples.map((sample) => sample.connections),
      "connections",
    );
  const rows: BenchRow[] = [
    { key: "no-check", measurement: summarize(ms(noCheck.samples), "ms"), note: noCheck.note },
    { key: "no-check.connections", measurement: connections(noCheck.samples) },
  ];
  for (const [name, variant] of Object.entries(checked)) {
    rows.push(
      { key: name, measurement: summarize(ms(variant.samples), "ms"), note: variant.note },
      {
        key: `${name}.cost`,
        measurement: summarize(
          paired(ms(variant.samples), ms(noCheck.samples), (check, none) => check - none),
          "ms",
        ),
        note: `per-round ${name} − no-check${variant.aim ? "; aim ≤ 1 round trip" : ""}`,
        atMost: variant.aim ? relayRoundTrip.median : undefined,
      },
      { key: `${name}.connections`, measurement: connections(variant.samples) },
    );
  }
  rows.push({
    key: "round-trip",
    measurement: relayRoundTrip,
    note: `\`select 1\` through the relay (set to ${RELAY_ROUND_TRIP_MS} ms)`,
  });
  return rows;
}
