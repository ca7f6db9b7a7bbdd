import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * What loading `entry` loads: the project files and packages reached through its static
 * imports. A dynamic `import()` is not followed (the bundler makes it a chunk of its own, loaded
 * when called), nor is an import of types only (erased).
 */
function staticImportGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), "utf8"), {
      languageVersion: ts.ScriptTarget.Latest,
    });
    for (const statement of source.statements) {
      const specifier = valueImportOf(statement);
      if (specifier === undefined) continue;
      const local = resolveProjectFile(file, specifier);
      if (local) visit(local);
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

function valueImportOf(statement: ts.Statement): string | undefined {
  if (ts.isImportDeclaration(statement)) {
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    const typesOnly =
      clause?.isTypeOnly ||
      (clause?.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly));
    return typesOnly ? undefined : (statement.moduleSpecifier as ts.StringLiteral).text;
  }
  if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
    return (statement.moduleSpecifier as ts.StringLiteral).text;
  }
  return undefined;
}

/** `@/x` and relative specifiers as a path from the root; undefined for a package. */
function resolveProjectFile(from: string, specifier: string): string | undefined {
  const base = specifier.startsWith("@/")
    ? path.join("src", specifier.slice(2))
    : specifier.startsWith(".")
      ? path.join(path.dirname(from), specifier)
      : undefined;
  if (base === undefined) return undefined;
  const found = [`${base}.ts`, path.join(base, "index.ts")].find((candidate) =>
    existsSync(path.join(ROOT, candidate)),
  );
  if (!found) throw new Error(`${from}: cannot resolve ${specifier}`);
  return found;
}

// Next runs register() in a bundle of its own and holds every request until it resolves, so what
// the boot loads is paid on every cold start, once more than the routes' own copies
// (docs/performance.md, "Cold starts"). An up-to-date boot needs the environment, postgres.js and
// the migrator's reading half: not Better Auth, and not drizzle's dialect and query builder.
describe("what the boot loads before its up-to-date check", () => {
  const boot = staticImportGraph("src/server/boot.ts");

  it("reaches postgres.js, the migrator and drizzle's migration-file reader", () => {
    expect(boot.packages).toContain("postgres");
    expect(boot.packages).toContain("drizzle-orm/migrator");
    expect(boot.files).toContain("src/lib/db/migrator/run.ts");
    expect(boot.files).toContain("src/lib/db/app-pool.ts");
  });

  it("loads neither Better Auth nor the auth face", () => {
    expect([...boot.packages].filter((name) => name.startsWith("better-auth"))).toEqual([]);
    expect(boot.files).not.toContain("src/lib/auth/index.ts");
  });

  it("loads no drizzle-orm beyond its migration-file reader: the schema and migrate() come only to apply", () => {
    expect([...boot.packages].filter((name) => name.startsWith("drizzle-orm"))).toEqual([
      "drizzle-orm/migrator",
    ]);
    expect(boot.files).not.toContain("src/lib/db/client.ts");
    expect(boot.files).not.toContain("src/lib/db/migrator/drizzle-0.45-apply.ts");
    expect([...boot.files].filter((file) => file.startsWith("src/lib/db/schema"))).toEqual([]);
  });
});
