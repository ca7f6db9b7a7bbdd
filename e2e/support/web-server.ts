/**
 * The e2e web server, run by Playwright under `scripts/with-database.ts` (which provides a fresh
 * database as DATABASE_URL):
 *
 *   tsx e2e/support/web-server.ts --port <port> --state-file <path>
 *
 * It records the database URL in the state file for the tests, builds a copy of the app outside
 * the repository, and runs that build's standalone server (what a deploy ships) until Playwright
 * sends SIGTERM; the server migrates the database at boot. Building in a copy keeps the run away
 * from the repository's `.next`, which a `next dev` or another build may be using.
 */
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { runSharingTerminal } from "@tools/cli/child-process";
import { type TerminationWatch, watchTerminationSignals } from "@tools/cli/signals";
import { requireEnv } from "../../src/env";
import { buildStandaloneCopy } from "../../test/support/next-app";
import type { E2eState } from "./state";

const say = (line: string) => console.error(`[e2e web server] ${line}`);

async function main(): Promise<number> {
  const watch = watchTerminationSignals();
  const { values } = parseArgs({
    options: { port: { type: "string" }, "state-file": { type: "string" } },
  });
  const port = values.port;
  const stateFile = values["state-file"];
  if (!port || !stateFile) {
    throw new Error("usage: web-server.ts --port <port> --state-file <path>");
  }

  const state: E2eState = { databaseUrl: requireEnv("DATABASE_URL") };
  await writeFile(stateFile, JSON.stringify(state));
  try {
    return await buildAndServe(watch, port);
  } finally {
    await rm(stateFile, { force: true });
  }
}

async function buildAndServe(watch: TerminationWatch, port: string): Promise<number> {
  // The build gets no database and no auth secrets (the shared build passes only PATH, HOME and
  // NODE_ENV), as a CI build step would: every run proves `next build` needs neither.
  const started = Date.now();
  const standalone = await buildStandaloneCopy();
  say(`next build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    return await runSharingTerminal(
      watch,
      process.execPath,
      [path.join(standalone.dir, "server.js")],
      {
        ...process.env,
        PORT: port,
        // server.js binds to HOSTNAME, which shells set to the machine's name.
        HOSTNAME: "localhost",
      },
    );
  } finally {
    await standalone.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
