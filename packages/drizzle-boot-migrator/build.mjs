// `prepare` (and `npm run build`): compiles src/ to dist/ with tsc. npm runs it on every
// `npm ci`/`npm install` of the workspace root and before `npm pack`/`npm publish`. Two installs
// have nothing to compile, and say so: a tarball (it ships dist/, not src/), and the workspace
// installed with `--omit=dev` (no TypeScript; the app's build bundles the package's source).
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const here = new URL(".", import.meta.url);
if (!existsSync(new URL("src", here))) process.exit(0);
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  console.log("drizzle-boot-migrator: no TypeScript installed (--omit=dev?), dist/ not built");
  process.exit(0);
}
rmSync(new URL("dist", here), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: here, stdio: "inherit" });
