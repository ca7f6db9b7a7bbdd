import { createRequire } from "node:module";
import path from "node:path";
import { DRIZZLE_LEDGER } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import {
  emptyDatabasePerTest,
  fixtureMigration,
  ledgerWhens,
  tableExists,
} from "../support/migrator";
import { installPackageWithout, projectsPerFile, runPackageBin } from "../support/package-cli";

// `@opentelemetry/api` is an optional peer: a project that does not install it runs the migrator
// with no spans and no error. The package runs from a project's node_modules where the module is
// really absent (not a hook that hides it).

const db = emptyDatabasePerTest();
const projects = projectsPerFile();

const migrations = [
  fixtureMigration(0, ["create table first_table (id int)"]),
  fixtureMigration(1, ["create table second_table (id int)"]),
];

describe("without @opentelemetry/api installed", () => {
  it("migrate applies every migration under the lock and status reports them, with no error", async () => {
    const project = projects.create({}, migrations, "drizzle");
    const folder = path.join(project, "drizzle");
    const bin = installPackageWithout(project, "@opentelemetry/api");
    expect(() => createRequire(bin).resolve("@opentelemetry/api")).toThrow(/Cannot find module/);

    const migrate = await runPackageBin(
      project,
      db.url,
      ["migrate", "--migrations-folder", folder],
      bin,
    );
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).not.toMatch(/opentelemetry/i);
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(migrations.map((m) => m.when));
    expect(await tableExists(db.url, "second_table")).toBe(true);

    const status = await runPackageBin(
      project,
      db.url,
      ["status", "--migrations-folder", folder],
      bin,
    );
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain("at 0001_step-1, 0 of 2 pending");
  });
});
