import { cp, link, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FunctionConfig } from "./build-output";

/**
 * A function's files as Vercel deploys them: its `.func` folder, plus every file its
 * `.vc-config.json` `filePathMap` lists (path in the function → path in the project), hard-linked
 * from the project. Nothing else of the project is there, so a file the build failed to trace is
 * missing here as it would be on Vercel.
 */
export interface AssembledFunction {
  dir: string;
  remove(): Promise<void>;
}

export async function assembleFunction(
  functionDir: string,
  config: FunctionConfig,
  projectRoot: string,
): Promise<AssembledFunction> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vercel-function-"));
  try {
    await cp(functionDir, dir, { recursive: true, dereference: true });
    for (const [inFunction, inProject] of Object.entries(config.filePathMap ?? {})) {
      const target = path.join(dir, inFunction);
      await mkdir(path.dirname(target), { recursive: true });
      await link(path.join(projectRoot, inProject), target).catch(
        async (error: NodeJS.ErrnoException) => {
          if (error.code === "EEXIST") return;
          if (error.code === "EXDEV" || error.code === "EPERM") {
            await cp(path.join(projectRoot, inProject), target);
            return;
          }
          throw error;
        },
      );
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
