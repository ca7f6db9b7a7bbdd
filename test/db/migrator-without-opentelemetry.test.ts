import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { DRIZZLE_LEDGER } from "drizzle-boot-migrator/folder";
import { afterAll, describe, expect, it } from "vitest";
import {
  emptyDatabasePerTest,
  fixtureMigration,
  installPackageWithout,
  ledgerWhens,
  runPackageBin,
  tableExists,
  writeMigrationFolder,
} from "../support/migrator";

// `@opentelemetry/api` is an optional peer: a project that does not install it runs the migrator
// with no spans and no error. The package runs from a project's node_modules where the module is
// really absent (not a hook that hides it).

const db = emptyDatabasePerTest();
const project = mkdtempSync(path.join(tmpdir(), "migrator-no-otel-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const migrations = [
  fixtureMigration(0, ["create table first_table (id int)"]),
  fixtureMigration(1, ["create table second_table (id int)"]),
];

describe("without @opentelemetry/api installed", () => {
  it("migrate applies every migration under the lock and status reports them, with no error", async () => {
    writeFileSync(path.join(project, "package.json"), '{ "type": "module" }\n');
    const folder = writeMigrationFolder(migrations, path.join(project, "drizzle"));
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
