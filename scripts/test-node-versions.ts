/**
 * `npm run test:node-versions [-- <major> ...]`: the production build with the Playwright smoke
 * test (`npm run test:e2e`), and the migrator's database tests, on each other Node major the
 * project supports (tools/cli/node-versions.ts; installed on demand from the npm registry), each
 * run with that Node first in PATH, so npm, vitest, next and every process they start use it.
 * `npm test` covers the Node running it. Prints one line per major; exit code 1 if any failed.
 * docs/testing.md records the last result and its time.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeReleaseBin, OTHER_NODE_RELEASES } from "@tools/cli/node-versions";
import { runCommand } from "@tools/cli/run-command";
import { testRunSummary } from "@tools/cli/test-summary";

const root = fileURLToPath(new URL("..", import.meta.url));
const say = (line: string) => console.log(`[test:node-versions] ${line}`);

/** The migrator's database tests: every `migrator-*` file and the boot's spans. */
const MIGRATOR_SUITE = ["--project", "db", "test/db/migrator-", "test/db/boot-tracing"];

interface Step {
  what: string;
  command: string;
  args: string[];
}

const steps: Step[] = [
  { what: "build and smoke test", command: "npm", args: ["run", "test:e2e"] },
  {
    what: "migrator suite",
    command: "node",
    args: [path.join(root, "node_modules/vitest/vitest.mjs"), "run", ...MIGRATOR_SUITE],
  },
];

async function onRelease(major: string, version: string): Promise<boolean> {
  const bin = await nodeReleaseBin(root, version);
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
  const reported = await runCommand("node", ["--version"], { cwd: root, env });
  if (reported.stdout.trim() !== `v${version}`) {
    say(`Node ${major}: FAILED — PATH gives ${reported.output.trim()}, not v${version}`);
    return false;
  }
  let ok = true;
  for (const step of steps) {
    const started = performance.now();
    const run = await runCommand(step.command, step.args, { cwd: root, env, timeoutMs: 3_600_000 });
    const result = testRunSummary(step.what, run);
    const seconds = Math.round((performance.now() - started) / 1000);
    say(`Node ${version}: ${result.ok ? "ok" : "FAILED"} in ${seconds} s — ${result.summary}`);
    ok &&= result.ok;
  }
  return ok;
}

async function main(only: string[]): Promise<number> {
  let ok = true;
  for (const [major, version] of Object.entries(OTHER_NODE_RELEASES)) {
    if (only.length === 0 || only.includes(major)) ok = (await onRelease(major, version)) && ok;
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2).filter((arg) => arg !== "--")).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
