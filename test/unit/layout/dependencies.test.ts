import { readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importGraph } from "../../support/import-graph";
import { REPO_ROOT } from "../../support/processes";

// `npm ci --omit=dev` installs `dependencies` only: they must be what the server runs, all of it
// and nothing more (docs/deployment.md). The server is what `npm start` loads: scripts/start.mjs,
// and the routes, proxy and instrumentation Next bundles from app/ and src/. next.config.ts is
// left out: `next build` reads it and writes it into the build, and a host that builds has the
// devDependencies too.

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readJson = (file: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8")) as PackageJson;

const SERVER_ENTRIES = [
  "scripts/start.mjs",
  "instrumentation.ts",
  "proxy.ts",
  ...readdirSync(path.join(REPO_ROOT, "app"), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) => path.join("app", file)),
];

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

/**
 * The packages the server needs installed: the ones its code imports (dynamic imports included:
 * they load when called), and the peers those declare required, such as Next's react-dom and
 * @vercel/otel's OpenTelemetry packages.
 */
function serverPackages(): Set<string> {
  const imported = [...importGraph(SERVER_ENTRIES, { dynamic: true }).packages]
    .filter((specifier) => !isBuiltin(specifier))
    .map(packageName);
  const needed = new Set<string>();
  const add = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    const manifest = readJson(`node_modules/${name}/package.json`);
    for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
      if (!manifest.peerDependenciesMeta?.[peer]?.optional) add(peer);
    }
  };
  for (const name of imported) add(name);
  return needed;
}

/** What is wrong with `manifest`'s dependencies for a server that needs `needed`. */
function misplaced(manifest: PackageJson, needed: Set<string>): string[] {
  const installed = Object.keys(manifest.dependencies ?? {});
  return [
    ...[...needed]
      .filter((name) => !installed.includes(name))
      .map((name) => `${name}: the server loads it, but npm ci --omit=dev would not install it`),
    ...installed
      .filter((name) => !needed.has(name))
      .map((name) => `${name}: the server never loads it; it belongs in devDependencies`),
  ].sort();
}

describe("dependencies are what the server runs", () => {
  const manifest = readJson("package.json");
  const needed = serverPackages();

  it("reaches what the server loads: imports, dynamic imports and required peers", () => {
    for (const name of ["next", "postgres", "better-auth", "@next/env", "@vercel/otel"]) {
      expect(needed).toContain(name);
    }
    expect(needed).toContain("react-dom");
    expect(needed).toContain("@opentelemetry/sdk-trace-base");
  });

  it("package.json's dependencies are exactly those", () => {
    expect(misplaced(manifest, needed)).toEqual([]);
  });

  it("would catch the migration linter among them, or a package the server needs left out", () => {
    const withLinter = {
      ...manifest,
      dependencies: { ...manifest.dependencies, "squawk-cli": "2.66.0" },
    };
    expect(misplaced(withLinter, needed)).toEqual([
      "squawk-cli: the server never loads it; it belongs in devDependencies",
    ]);
    const { zod: _zod, ...withoutZod } = manifest.dependencies ?? {};
    expect(misplaced({ ...manifest, dependencies: withoutZod }, needed)).toEqual([
      "zod: the server loads it, but npm ci --omit=dev would not install it",
    ]);
  });
});
