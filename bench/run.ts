/**
 * `npm run bench [-- --json] [--quick] [--only a,b]`: the cost of boot-time migration, side by side
 * with drizzle's own `migrate()`, on a Postgres from the same source as the tests. See
 * docs/performance.md for what each figure means and its current value.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { startDatabaseServer } from "@tools/database-source";
import { createDbConnection } from "@/lib/db/client";
import { type ScenarioOutcome, toJson, toTable } from "./report";
import type { BenchContext, Scenario } from "./scenario";
import { scenarios } from "./scenarios";

const usage = `usage: npm run bench -- [--json] [--quick] [--only ${scenarios.map((s) => s.name).join(",")}]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const selected = selectScenarios(values.only);
  const log = (line: string) => console.error(line);

  const server = await startDatabaseServer({ purpose: "bench", log });
  try {
    const header = await describeMachine(server.adminUrl, server.kind);
    // The table repeats the header on stdout; with --json, stderr is the only place for it.
    if (values.json) for (const line of header) log(line);
    const context: BenchContext = {
      adminUrl: server.adminUrl,
      runs: (full, quick = 1) => (values.quick ? quick : full),
      warmup: (full) => (values.quick ? 0 : full),
      log,
    };
    const outcomes: ScenarioOutcome[] = [];
    for (const scenario of selected) {
      log(`[bench] ${scenario.name}: ${scenario.title}`);
      try {
        outcomes.push({ scenario, rows: await scenario.run(context) });
      } catch (error) {
        log(`[bench] ${scenario.name} failed: ${error instanceof Error ? error.stack : error}`);
        outcomes.push({ scenario, rows: [], error });
      }
    }
    const loadAfter = `load average after: ${loadAverage()}`;
    if (values.json) {
      log(loadAfter);
      console.log(JSON.stringify(toJson(outcomes), null, 2));
    } else {
      console.log(toTable(outcomes, [...header, loadAfter]));
    }
    return outcomes.some((outcome) => outcome.error !== undefined) ? 1 : 0;
  } finally {
    await server.stop();
  }
}

function selectScenarios(only: string | undefined): Scenario[] {
  if (only === undefined) return scenarios;
  const names = only.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}\n${usage}`);
  return scenarios.filter((s) => names.includes(s.name));
}

async function describeMachine(adminUrl: string, source: string): Promise<string[]> {
  const connection = createDbConnection({ url: adminUrl, max: 1, applicationName: "bench" });
  try {
    const [row] = await connection.client<{ version: string }[]>`select version()`;
    return [
      `machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? "unknown"}), ` +
        `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`,
      `postgres: ${row?.version.split(" on ")[0] ?? "unknown"} (source: ${source})`,
      `load average before: ${loadAverage()}`,
    ];
  } finally {
    await connection.close();
  }
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
