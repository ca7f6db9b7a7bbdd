/**
 * `npm run test:timings [-- --slowest <n>]`: where the test time goes, per vitest project with
 * its slowest files, then Playwright and test:compat, from what their last runs recorded in
 * `.test-timings/` (docs/testing.md).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { TIMINGS_DIR, timingsReport } from "@tools/test-timings";

const { values } = parseArgs({ options: { slowest: { type: "string", default: "5" } } });
const slowest = Number(values.slowest);
if (!Number.isInteger(slowest) || slowest < 0) {
  console.error("usage: npm run test:timings [-- --slowest <n>] (n: how many files per project)");
  process.exit(2);
}
console.log(timingsReport(path.resolve(TIMINGS_DIR), slowest));
