import path from "node:path";
import { watchSchemaDrift } from "@tools/migration-check/watch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyProject, type ProjectCopy } from "../support/project-copy";

// What `npm run dev` prints when the schema changes: the real drift check (drizzle-kit) on a copy
// of the project, started by a real file change.

let project: ProjectCopy;
let stop: (() => void) | undefined;

beforeEach(() => {
  project = copyProject();
});

afterEach(() => {
  stop?.();
  project.remove();
});

describe("npm run dev's schema drift watch", { timeout: 90_000 }, () => {
  it("says when a schema change has no migration, with the command to generate one", async () => {
    const lines: string[] = [];
    let said: (() => void) | undefined;
    const printed = new Promise<void>((resolve) => {
      said = resolve;
    });
    stop = watchSchemaDrift({
      cwd: project.dir,
      configPath: "drizzle.config.ts",
      folders: [path.join(project.dir, "schema"), project.drizzleDir],
      log: (text) => {
        lines.push(text);
        said?.();
      },
    });

    project.editSchema(
      "reporting.ts",
      (source) =>
        `${source}\nexport const driftProbes = pgTable("drift_probes", { id: uuid("id").primaryKey() });\n`,
    );
    await printed;

    const output = lines.join("\n");
    expect(output).toContain("[dev] the schema has changes no migration in drizzle/ captures");
    expect(output).toContain('CREATE TABLE "drift_probes"');
    expect(output).toContain("npm run db:generate -- --name <readable-name>");
  });
});
