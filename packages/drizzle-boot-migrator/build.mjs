// `prepare`: compiles src/ to dist/ with the TypeScript compiler of the workspace root or this
// package. Run by `npm ci`/`npm install` of the root (npm prepares workspace packages) and by
// `npm pack`/`npm publish`.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(new URL("./dist", import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
  cwd: new URL(".", import.meta.url),
  stdio: "inherit",
});
