import { type DatabaseSourceKind, startDatabaseServer } from "@tools/database-source";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL on this run's server; test files make their own databases on it. */
    adminDatabaseUrl: string;
    databaseSourceKind: DatabaseSourceKind;
  }
}

const described: Record<DatabaseSourceKind, string> = {
  url: "the server at TEST_DATABASE_URL",
  container: "a Postgres container (Testcontainers)",
  embedded: "an embedded Postgres in a temporary directory",
};

/** Vitest globalSetup of the "db" project: one Postgres server per run, see docs/database-source.md. */
export default async function setup(project: TestProject) {
  const server = await startDatabaseServer({ purpose: "test" });
  console.log(`[db tests] using ${described[server.kind]}`);
  project.provide("adminDatabaseUrl", server.adminUrl);
  project.provide("databaseSourceKind", server.kind);
  return () => server.stop();
}
