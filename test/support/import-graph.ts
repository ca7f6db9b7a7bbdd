import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "./processes";

/**
 * What loading `entries` loads: the project files (paths from the repository root) and the
 * package specifiers reached through their imports. An import of types only is not followed
 * (erased). A dynamic `import()` is followed only with `dynamic`: the bundler makes it a chunk of
 * its own, loaded when called, so it costs nothing at load but is still needed at run time.
 */
export function importGraph(
  entries: readonly string[],
  options: { dynamic: boolean },
): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    if (!/\.(ts|tsx|mjs)$/.test(file)) return;
    const source = ts.createSourceFile(file, readFileSync(path.join(REPO_ROOT, file), "utf8"), {
      languageVersion: ts.ScriptTarget.Latest,
    });
    const specifiers = source.statements.map(valueImportOf);
    if (options.dynamic) specifiers.push(...dynamicImportsOf(source));
    for (const specifier of specifiers) {
      if (specifier === undefined) continue;
      const local = resolveProjectFile(file, specifier);
      if (local) visit(local);
      else packages.add(specifier);
    }
  };
  for (const entry of entries) visit(entry);
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

/** `import("x")` with a literal specifier, anywhere in the file. */
function dynamicImportsOf(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const walk = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, walk);
  };
  walk(source);
  return found;
}

/** The workspace package's entry points, as tsconfig.json's `paths` resolve them (its source). */
const WORKSPACE_PACKAGE =
  /^drizzle-boot-migrator(?:\/(cli|drizzle-config|errors|folder|pg|verify))?$/;

/**
 * `@/x`, the workspace package and relative specifiers as a path from the root; undefined for a
 * package of node_modules.
 */
function resolveProjectFile(from: string, specifier: string): string | undefined {
  const workspaceEntry = WORKSPACE_PACKAGE.exec(specifier);
  const base = workspaceEntry
    ? `packages/drizzle-boot-migrator/src/${workspaceEntry[1] ?? "index"}.ts`
    : specifier.startsWith("@/")
      ? path.join("src", specifier.slice(2))
      : specifier.startsWith(".")
        ? path.join(path.dirname(from), specifier)
        : undefined;
  if (base === undefined) return undefined;
  const found = [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    path.join(base, "index.ts"),
    path.join(base, "index.tsx"),
  ].find((candidate) => path.extname(candidate) && existsSync(path.join(REPO_ROOT, candidate)));
  if (!found) throw new Error(`${from}: cannot resolve ${specifier}`);
  return found;
}
