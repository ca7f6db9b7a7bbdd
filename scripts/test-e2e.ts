/**
 * `npm run test:e2e [-- <Playwright arguments>]`: Playwright's smoke test (playwright.config.ts).
 * On a machine with no Chromium, neither Debian's nor Playwright's own, it builds nothing and says
 * how to install one instead: a skip, or a failure under CI (docs/testing.md).
 */
import { fileURLToPath } from "node:url";
import { runSharingTerminal } from "@tools/cli/child-process";
import { watchTerminationSignals } from "@tools/cli/signals";
import { skipWithout } from "@tools/system-tools";

const PLAYWRIGHT = fileURLToPath(
  new URL("../node_modules/@playwright/test/cli.js", import.meta.url),
);

async function main(args: string[]): Promise<number> {
  const skipped = skipWithout("chromium", "npm run test:e2e (e2e/, Playwright)", process.env);
  if (skipped !== undefined) return skipped;
  return runSharingTerminal(
    watchTerminationSignals(),
    process.execPath,
    [PLAYWRIGHT, "test", ...args],
    process.env,
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
