/**
 * `npm run db:check [-- --config <drizzle config>]`: fails when the migrations in drizzle/ do not
 * match the schema, fail drizzle-kit's own check, have a journal the migrator would misread, or
 * hold a statement the migration linter flags (docs/migrations.md, "Migration lint").
 * Reads drizzle/ only; drizzle-kit runs on a temporary copy.
 */
import { parseArgs } from "node:util";
import { checkMigrations } from "@tools/migration-check/check";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { config: { type: "string", default: "drizzle.config.ts" } },
  });
  const problems = await checkMigrations({ cwd: process.cwd(), configPath: values.config });
  if (problems.length === 0) {
    console.log(
      "db:check: migrations match the schema; journal and snapshots are consistent; no migration hazards.",
    );
    return 0;
  }
  console.error(`db:check found ${problems.length} problem(s):\n`);
  for (const { check, problem, fix } of problems) {
    console.error(`✗ [${check}] ${problem}\n  What to do: ${fix}\n`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:check could not run: ${error instanceof Error ? error.message : error}`);
    process.exit(2);
  },
);
