import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "drizzle-boot-migrator";
import {
  flagsNameEverything,
  migrationSetsFromFlags,
  parseMigratorFlags,
} from "drizzle-boot-migrator/cli";
import {
  findDrizzleConfig,
  migrationSetOfConfig,
  readDrizzleConfig,
} from "drizzle-boot-migrator/drizzle-config";
import { afterEach, describe, expect, it } from "vitest";
import { importGraph } from "../support/import-graph";

// How the package's command reads drizzle.config.* (the apply itself: test/db/migrator-drizzle-config.test.ts).

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function projectWith(files: Record<string, string>): string {
  dir = mkdtempSync(path.join(tmpdir(), "drizzle-config-"));
  writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
const config = (out: string) => JSON.stringify({ dialect: "postgresql", out });

describe("the config file drizzle-kit 0.31 would read", () => {
  it("is drizzle.config.ts, then .js, then .json in the working directory; none is undefined", () => {
    const all = projectWith({
      "drizzle.config.ts": "export default {}",
      "drizzle.config.js": "export default {}",
      "drizzle.config.json": "{}",
    });
    expect(findDrizzleConfig(all)).toBe(path.join(all, "drizzle.config.ts"));
    rmSync(path.join(all, "drizzle.config.ts"));
    expect(findDrizzleConfig(all)).toBe(path.join(all, "drizzle.config.js"));
    rmSync(path.join(all, "drizzle.config.js"));
    expect(findDrizzleConfig(all)).toBe(path.join(all, "drizzle.config.json"));
    rmSync(path.join(all, "drizzle.config.json"));
    expect(findDrizzleConfig(all)).toBeUndefined();
  });

  it("is --config's file, relative to the working directory, which must exist", () => {
    const cwd = projectWith({ "drizzle.config.json": "{}", "config/db.json": "{}" });
    expect(findDrizzleConfig(cwd, "config/db.json")).toBe(path.join(cwd, "config/db.json"));
    expect(() => findDrizzleConfig(cwd, "config/missing.ts")).toThrow(
      `--config: ${path.join(cwd, "config/missing.ts")} does not exist`,
    );
  });
});

describe("what the command takes from it", () => {
  it("reads out and migrations from TypeScript, JavaScript and JSON", async () => {
    const ledger = { schema: "public", table: "app_migrations" };
    const cwd = projectWith({
      "a.ts": `const out: string = "./db/migrations";\nexport default { dialect: "postgresql", out, migrations: ${JSON.stringify(ledger)} };`,
      "b.js": `export default { dialect: "postgresql", out: "./db/migrations", migrations: ${JSON.stringify(ledger)} };`,
      "c.json": JSON.stringify({
        dialect: "postgresql",
        out: "./db/migrations",
        migrations: ledger,
      }),
    });
    for (const name of ["a.ts", "b.js", "c.json"]) {
      const read = await readDrizzleConfig(path.join(cwd, name));
      expect(migrationSetOfConfig(read, cwd), name).toEqual({
        migrationsFolder: path.join(cwd, "db/migrations"),
        ledger,
      });
    }
  });

  it("resolves out from the working directory, not the config's folder, and defaults what is left out", async () => {
    const cwd = projectWith({ "config/drizzle.config.json": config("./sql") });
    const read = await readDrizzleConfig(path.join(cwd, "config/drizzle.config.json"));
    expect(migrationSetOfConfig(read, cwd)).toEqual({
      migrationsFolder: path.join(cwd, "sql"),
      ledger: { schema: "drizzle", table: "__drizzle_migrations" },
    });
    expect(migrationSetOfConfig({}, cwd).migrationsFolder).toBe(path.join(cwd, "drizzle"));
  });

  it("refuses another dialect, a ledger name that is not a string, and a file that is not JSON, naming the file", async () => {
    const cwd = projectWith({
      "mysql.json": JSON.stringify({ dialect: "mysql" }),
      "table.json": JSON.stringify({ dialect: "postgresql", migrations: { table: 7 } }),
      "broken.json": "{ out: ",
    });
    const read = (name: string) => readDrizzleConfig(path.join(cwd, name));
    await expect(read("mysql.json")).rejects.toThrow(
      `${path.join(cwd, "mysql.json")} has dialect "mysql": this migrator applies only "postgresql"`,
    );
    await expect(read("table.json")).rejects.toThrow(
      `${path.join(cwd, "table.json")}: migrations.table must be a non-empty string (got 7)`,
    );
    await expect(read("broken.json")).rejects.toThrow(ConfigError);
  });
});

describe("the flags over the config", () => {
  const fromConfig = {
    migrationsFolder: "/project/db/migrations",
    ledger: { schema: "public", table: "app_migrations" },
  };
  const sets = (args: string[]) =>
    migrationSetsFromFlags(
      parseMigratorFlags(args, "usage", []),
      "usage",
      [fromConfig],
      fromConfig.ledger,
    );

  it("override each half of the ledger and the folder, keeping the config's for the rest", () => {
    expect(sets([])).toEqual([fromConfig]);
    expect(sets(["--migrations-table", "other"])).toEqual([
      { ...fromConfig, ledger: { schema: "public", table: "other" } },
    ]);
    expect(sets(["--migrations-folder", "sql"])).toEqual([
      { migrationsFolder: path.resolve("sql"), ledger: fromConfig.ledger },
    ]);
  });

  it("make the config unnecessary only when they name every folder and ledger", () => {
    const all = ["--migrations-folder", "a", "--migrations-schema", "s", "--migrations-table", "t"];
    expect(flagsNameEverything(parseMigratorFlags(all, "usage", []))).toBe(true);
    expect(flagsNameEverything(parseMigratorFlags(all.slice(0, 4), "usage", []))).toBe(false);
    expect(flagsNameEverything(parseMigratorFlags([], "usage", []))).toBe(false);
  });

  it("--config is a string option of the package's command", () => {
    const flags = parseMigratorFlags(["--config", "x.json"], "usage", [], ["config"]);
    expect(flags.options).toEqual({ config: "x.json" });
  });

  it("a list option (verify's --schema) keeps every value, in order", () => {
    const argv = ["--schema", "reporting", "--schema=audit"];
    const flags = parseMigratorFlags(argv, "usage", [], [], ["schema"]);
    expect(flags.lists).toEqual({ schema: ["reporting", "audit"] });
    expect(parseMigratorFlags([], "usage", [], [], ["schema"]).lists).toEqual({ schema: [] });
  });
});

describe("who loads the config", () => {
  it("neither the library entry nor the boot: only the package's command", () => {
    const reader = "packages/drizzle-boot-migrator/src/drizzle-config.ts";
    // Dynamic imports followed too: not even a lazily loaded chunk of them reaches it.
    const loads = (entry: string) => importGraph([entry], { dynamic: true }).files;
    expect(loads("packages/drizzle-boot-migrator/src/index.ts")).not.toContain(reader);
    expect(loads("packages/drizzle-boot-migrator/src/cli.ts")).not.toContain(reader);
    expect(loads("src/server/boot.ts")).not.toContain(reader);
    expect(loads("packages/drizzle-boot-migrator/src/bin.ts")).toContain(reader);
  });
});
