/**
 * `npm start [-- <next start options>]`: serves the built app. It never starts a database: a
 * production server without DATABASE_URL stops here, before Next starts, naming the variable.
 */
import { createRequire } from "node:module";
import { ConfigError, requireEnv } from "../src/env";
import { exitCodeOf, forwardSignals, runInherited } from "../src/lib/cli/child-process";
import { loadEnvFilesLikeNext } from "../src/lib/cli/env-files";
import { watchTerminationSignals } from "../src/lib/cli/signals";

async function main(): Promise<number> {
  const watch = watchTerminationSignals();
  loadEnvFilesLikeNext(false);
  requireEnv("DATABASE_URL");
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const next = runInherited(
    process.execPath,
    [nextBin, "start", ...process.argv.slice(2)],
    process.env,
  );
  forwardSignals(watch, next.child);
  return exitCodeOf(await next.exited);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`npm start: ${message}`);
    if (error instanceof ConfigError) {
      console.error(
        "Set it in the environment (or .env.production / .env). `npm start` never starts a " +
          "database of its own; `npm run dev` is the command that brings one.",
      );
    }
    process.exit(1);
  },
);
