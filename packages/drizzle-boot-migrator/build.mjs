// `npm run build`, `prepack` (so `npm pack`/`npm publish` ship a fresh dist/) and the workspace
// root's `prepare` (every `npm ci`/`npm install` of the repository): compiles src/ to dist/ with
// tsc. Not `prepare` here: npm lists a tarball's `prepare` among the install scripts it warns
// about, though a tarball has nothing to compile. With `--omit=dev` there is no TypeScript, and
// nothing needs dist/ (the app's build bundles the package's source), so it says so and stops.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";

const here = new URL(".", import.meta.url);
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  console.log("drizzle-boot-migrator: no TypeScript installed (--omit=dev?), dist/ not built");
  process.exit(0);
}
rmSync(new URL("dist", here), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: here, stdio: "inherit" });
