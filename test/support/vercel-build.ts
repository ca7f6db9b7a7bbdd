import { createDatabase, databaseUrl, uniqueDatabaseName } from "@tools/database-source/databases";
import { vercelBuild } from "@tools/vercel-runtime/vercel-build";
import type { TestProject } from "vitest/node";
import { copyProjectForVercel } from "./vercel-project";

declare module "vitest" {
  export interface ProvidedContext {
    /**
     * One `vercel build` of the project for the whole "vercel" project (about a minute): its
     * Build Output, and the database its `vercel-build` script migrated.
     */
    vercelBuild: { outputDir: string; databaseUrl: string; output: string; durationMs: number };
  }
}

/**
 * Vitest globalSetup of the "vercel" project (after global-setup.ts, whose server it uses): the
 * project as git has it, built by the pinned vercel CLI with a fresh database as its
 * DATABASE_URL, as Vercel's build would with the project's variables. A failed build fails the run
 * here, with the CLI's output.
 */
export default async function setup(project: TestProject) {
  const adminUrl = project.getProvidedContext().adminDatabaseUrl;
  const name = uniqueDatabaseName("vercel");
  await createDatabase(adminUrl, name);
  const url = databaseUrl(adminUrl, name);
  const copy = await copyProjectForVercel();
  const build = await vercelBuild(copy.dir, { DATABASE_URL: url });
  if (build.code !== 0) {
    await copy.remove();
    throw new Error(`vercel build failed (exit ${build.code}):\n${build.output}`);
  }
  console.log(`[vercel tests] vercel build took ${(build.durationMs / 1000).toFixed(1)} s`);
  project.provide("vercelBuild", {
    outputDir: build.outputDir,
    databaseUrl: url,
    output: build.output,
    durationMs: build.durationMs,
  });
  return () => copy.remove();
}
