/**
 * After `next build`, in `vercel-build` only: adds `.next/package.json` to every server trace
 * (`.next/server/**\/*.nft.json`) that lists the project's `package.json` but not it.
 *
 * Why: this project's `package.json` says `"type": "module"`, and Next's compiled server files are
 * CommonJS `.js` files that rely on `.next/package.json` (`{"type": "commonjs"}`) to be read as
 * such. Next 16.5 leaves that file out of the proxy's (middleware's) trace, so Vercel's build
 * deploys `_middleware.func` without it, and every request on Vercel fails in the proxy with
 * "require is not defined in ES module scope" (vercel/next.js#91661). Vercel's builder takes each
 * function's files from these traces after the build command, so listing the file here puts it
 * in the function.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const nextDir = path.resolve(".next");
const marker = path.join(nextDir, "package.json");
const projectPackage = path.resolve("package.json");

async function main(): Promise<void> {
  if (!existsSync(marker)) {
    throw new Error(`${marker} is missing: run next build first`);
  }
  const serverDir = path.join(nextDir, "server");
  const traces = (await readdir(serverDir, { recursive: true, encoding: "utf8" })).filter((file) =>
    file.endsWith(".nft.json"),
  );
  const completed: string[] = [];
  for (const trace of traces) {
    const file = path.join(serverDir, trace);
    const content = JSON.parse(await readFile(file, "utf8")) as { files: string[] };
    const listed = new Set(content.files.map((entry) => path.resolve(path.dirname(file), entry)));
    if (!listed.has(projectPackage) || listed.has(marker)) continue;
    content.files.push(path.relative(path.dirname(file), marker));
    await writeFile(file, JSON.stringify(content));
    completed.push(trace);
  }
  console.log(
    `[trace] .next/package.json added to ${completed.length} server trace(s)${completed.length ? `: ${completed.join(", ")}` : ""}`,
  );
}

main().catch((error: unknown) => {
  console.error(`[trace] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
