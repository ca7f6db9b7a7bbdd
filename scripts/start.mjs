/**
 * `npm start`: the standalone server that `npm run build` made (`next start` warns that it does
 * not serve `output: "standalone"` builds). Plain JavaScript with only a production dependency, so
 * it runs after `npm ci --omit=dev`. It first loads the project's `.env*` files as `next start`
 * would (the standalone server only looks next to itself); variables already set win.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nextEnv from "@next/env";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = path.join(root, ".next/standalone/server.js");

if (!existsSync(server)) {
  console.error(`No build to start: ${server} does not exist. Run \`npm run build\` first.`);
  process.exit(1);
}
nextEnv.loadEnvConfig(root, false);
createRequire(import.meta.url)(server);
