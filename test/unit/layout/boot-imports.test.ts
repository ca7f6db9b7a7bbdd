import { describe, expect, it } from "vitest";
import { importGraph } from "../../support/import-graph";

// Next runs register() in a bundle of its own and holds every request until it resolves, so what
// the boot loads is paid on every cold start, once more than the routes' own copies
// (docs/performance.md, "Cold starts"). An up-to-date boot needs the environment, postgres.js and
// the migrator's reading half: not Better Auth, and not drizzle's dialect and query builder.
describe("what the boot loads before its up-to-date check", () => {
  const boot = importGraph(["src/server/boot.ts"], { dynamic: false });

  it("reaches postgres.js, the migrator and drizzle's migration-file reader", () => {
    expect(boot.packages).toContain("postgres");
    expect(boot.packages).toContain("drizzle-orm/migrator");
    expect(boot.files).toContain("packages/drizzle-boot-migrator/src/run.ts");
    expect(boot.files).toContain("src/lib/db/app-pool.ts");
  });

  it("loads neither Better Auth nor the auth face", () => {
    expect([...boot.packages].filter((name) => name.startsWith("better-auth"))).toEqual([]);
    expect(boot.files).not.toContain("src/lib/auth/index.ts");
  });

  it("loads no drizzle-orm beyond its migration-file reader and version: the schema and migrate() come only to apply", () => {
    // drizzle-orm/version (one constant) picks the migrator's adapter for the installed drizzle.
    expect([...boot.packages].filter((name) => name.startsWith("drizzle-orm")).sort()).toEqual([
      "drizzle-orm/migrator",
      "drizzle-orm/version",
    ]);
    expect(boot.files).not.toContain("src/lib/db/client.ts");
    expect(boot.files).not.toContain("packages/drizzle-boot-migrator/src/drizzle-0.45/apply.ts");
    expect(boot.files).not.toContain("packages/drizzle-boot-migrator/src/drizzle-1/apply.ts");
    expect([...boot.files].filter((file) => file.startsWith("src/lib/db/schema"))).toEqual([]);
  });
});

// The package's footprint at boot stays the migrator's: verify and baseline (the catalog reader,
// the comparison, the scratch build) sit behind `drizzle-boot-migrator/verify` and the command's
// lazily loaded verify/command.ts (packages/drizzle-boot-migrator/README.md, "Verify").
describe("who loads the package's verify", () => {
  const verifyFiles = (entries: string[], dynamic: boolean) =>
    [...importGraph(entries, { dynamic }).files].filter((file) =>
      file.startsWith("packages/drizzle-boot-migrator/src/verify"),
    );

  it("neither the boot nor the library entry, dynamic imports followed", () => {
    expect(verifyFiles(["src/server/boot.ts"], true)).toEqual([]);
    expect(verifyFiles(["packages/drizzle-boot-migrator/src/index.ts"], true)).toEqual([]);
  });

  it("the command only when asked for verify or baseline, and the verify entry", () => {
    expect(verifyFiles(["packages/drizzle-boot-migrator/src/bin.ts"], false)).toEqual([]);
    expect(verifyFiles(["packages/drizzle-boot-migrator/src/bin.ts"], true)).toContain(
      "packages/drizzle-boot-migrator/src/verify/command.ts",
    );
    expect(verifyFiles(["packages/drizzle-boot-migrator/src/verify.ts"], false)).toContain(
      "packages/drizzle-boot-migrator/src/verify/compare.ts",
    );
  });
});
