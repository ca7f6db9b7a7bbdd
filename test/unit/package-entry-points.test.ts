import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/processes";

// The package's `exports` is the one list of its entry points: vitest.config.ts derives its
// aliases from it, and `npm run build` compiles every module of src/. What cannot be derived
// (JSON configs, the README) is checked against it here.

const PACKAGE_DIR = path.join(REPO_ROOT, "packages/drizzle-boot-migrator");
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const packageJson = readJson(path.join(PACKAGE_DIR, "package.json")) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
};

/** Each code entry point: its import specifier and its module under src/. */
const entryPoints = Object.entries(packageJson.exports).flatMap(([subpath, target]) => {
  if (typeof target === "string") return [];
  const module = /^\.\/dist\/(.+)\.js$/.exec(target.default)?.[1];
  return [{ specifier: `${packageJson.name}${subpath.slice(1)}`, module, target }];
});

describe("the package's entry points agree everywhere", () => {
  it("package.json: each export is a compiled module of src/ with its types beside it", () => {
    expect(entryPoints.map((entry) => entry.specifier)).toContain(packageJson.name);
    for (const { specifier, module, target } of entryPoints) {
      expect(module, `${specifier}: ${target.default} is not ./dist/<module>.js`).toBeDefined();
      expect(existsSync(path.join(PACKAGE_DIR, "src", `${module}.ts`)), specifier).toBe(true);
      expect(target.types, specifier).toBe(`./dist/${module}.d.ts`);
    }
  });

  it("tsconfig.json's paths map exactly those specifiers to their sources", () => {
    const { paths } = readJson(path.join(REPO_ROOT, "tsconfig.json")).compilerOptions as {
      paths: Record<string, string[]>;
    };
    const packagePaths = Object.fromEntries(
      Object.entries(paths).filter(([specifier]) => specifier.startsWith(packageJson.name)),
    );
    expect(packagePaths).toEqual(
      Object.fromEntries(
        entryPoints.map(({ specifier, module }) => [
          specifier,
          [`./packages/drizzle-boot-migrator/src/${module}.ts`],
        ]),
      ),
    );
  });

  it("biome's deep-import refusal names every entry point, and no other", () => {
    const messages = [
      ...readFileSync(path.join(REPO_ROOT, "biome.json"), "utf8").matchAll(
        /"message": "(Import the workspace package[^"]*)"/g,
      ),
    ].map((match) => match[1] ?? "");
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      const named = /entry points \(([^)]*)\)/.exec(message)?.[1]?.split(", ") ?? [];
      const full = named.map((name) => (name.startsWith("/") ? packageJson.name + name : name));
      expect(full.sort()).toEqual(entryPoints.map((entry) => entry.specifier).sort());
    }
  });

  it("the README's table of entry points lists every one", () => {
    const readme = readFileSync(path.join(PACKAGE_DIR, "README.md"), "utf8");
    const section = readme.split("## Entry points")[1]?.split("\n## ")[0] ?? "";
    const listed = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]);
    expect(listed.sort()).toEqual(entryPoints.map((entry) => entry.specifier).sort());
  });
});
