import type { TestProject } from "vitest/node";
import { buildAppCopy } from "./next-app";

declare module "vitest" {
  export interface ProvidedContext {
    /** A production build of the app shared by every attack file (`next start` runs in it). */
    attackAppDir: string;
  }
}

/**
 * Vitest globalSetup of the "attacks" project: one `next build` for the whole suite (about 20 s);
 * each file starts its own `next start` servers from it, on its own databases.
 */
export default async function setup(project: TestProject) {
  const app = await buildAppCopy();
  project.provide("attackAppDir", app.dir);
  return () => app.remove();
}
