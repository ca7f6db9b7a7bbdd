/**
 * `npx tsx scripts/system-tools.ts [--missing-debian-packages]`: the programs the tests need from
 * the machine, where each was found or how to install it (docs/testing.md). With
 * `--missing-debian-packages`, only the Debian packages of the missing ones, one a line, for
 * .ci/run to install.
 */
import { parseArgs } from "node:util";
import {
  locateSystemTool,
  SYSTEM_TOOLS,
  type SystemToolName,
  toolSearchPath,
} from "@tools/system-tools";

const { values } = parseArgs({ options: { "missing-debian-packages": { type: "boolean" } } });
const tools = Object.keys(SYSTEM_TOOLS) as SystemToolName[];
const missing = tools.filter((tool) => !locateSystemTool(tool, process.env));

if (values["missing-debian-packages"]) {
  for (const tool of missing) console.log(SYSTEM_TOOLS[tool].debianPackage);
} else {
  console.log(`looked in ${toolSearchPath(process.env).join(", ")}`);
  for (const tool of tools) {
    const found = locateSystemTool(tool, process.env);
    const { label, install } = SYSTEM_TOOLS[tool];
    console.log(
      found
        ? `${label}: ${found.path}${found.source === "playwright" ? " (Playwright's own)" : ""}`
        : `${label}: missing; the suites that need it are skipped. Install: ${install}`,
    );
  }
}
