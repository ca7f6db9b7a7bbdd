/**
 * The e2e web server, run by Playwright under `scripts/with-database.ts` (which provides a fresh
 * database as DATABASE_URL):
 *
 *   tsx e2e/support/web-server.ts --port <port> --state-file <path>
 *
 * records the database URL in the state file for the tests, builds the app, and runs the
 * standalone server (what a deploy ships) until Playwright sends SIGTERM. The server migrates the
 * database at boot.
 */
import { existsSync } from "node:fs";
import { cp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { requireEnv } from "../../src/env";
import { exitCodeOf, forwardSignals, runInherited } from "../../src/lib/cli/child-process";
import { type TerminationWatch, watchTerminationSignals } from "../../src/lib/cli/signals";
import type { E2eState } from "./state";

async function main(): Promise<number> {
  const watch = watchTerminationSignals();
  const { values } = parseArgs({
    options: { port: { type: "string" }, "state-file": { type: "string" } },
  });
  const port = values.port;
  const stateFile = values["state-file"];
  if (!port || !stateFile)
    throw new Error("usage: web-server.ts --port <port> --state-file <path>");

  const state: E2eState = { databaseUrl: requireEnv("DATABASE_URL") };
  await writeFile(stateFile, JSON.stringify(state));
  try {
    return await buildAndServe(watch, port);
  } finally {
    await rm(stateFile, { force: true });
  }
}

async function buildAndServe(watch: TerminationWatch, port: string): Promise<number> {
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const build = runInherited(process.execPath, [nextBin, "build"], process.env);
  forwardSignals(watch, build.child);
  const built = exitCodeOf(await build.exited);
  if (built !== 0 || watch.received) return built;

  // The standalone output leaves static assets out; a deploy copies them in, and so do we.
  await cp(".next/static", ".next/standalone/.next/static", { recursive: true });
  if (existsSync("public")) await cp("public", ".next/standalone/public", { recursive: true });
  const server = runInherited(process.execPath, [".next/standalone/server.js"], {
    ...process.env,
    PORT: port,
    // server.js binds to HOSTNAME, which shells set to the machine's name.
    HOSTNAME: "localhost",
  });
  forwardSignals(watch, server.child);
  return exitCodeOf(await server.exited);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[e2e web server] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
