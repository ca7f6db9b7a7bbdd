/**
 * The last step of `npm run build`: copies what `next build` leaves out of the standalone server
 * (`.next/static`, and `public/` once the app has one) into `.next/standalone`, so that
 * `npm start` (scripts/start.mjs) and a container shipping `.next/standalone` alone serve them.
 */
import { cp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const standalone = path.join(root, ".next/standalone");

const assets = [".next/static", "public"];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

if (!(await exists(path.join(standalone, "server.js")))) {
  console.error(
    `${standalone}/server.js is missing: run this after \`next build\` with output: "standalone".`,
  );
  process.exit(1);
}
for (const asset of assets) {
  if (!(await exists(path.join(root, asset)))) continue;
  // A copy left by an earlier build would keep files that no longer exist.
  await rm(path.join(standalone, asset), { recursive: true, force: true });
  await cp(path.join(root, asset), path.join(standalone, asset), { recursive: true });
}
