/**
 * `npm run db:check [-- --config <drizzle config>] [--adopt [--reason <text>]]`: fails when the migrations in drizzle/ do not
 * match the schema, fail drizzle-kit's own check, have a journal the migrator would misread, or
 * hold a statement the migration linter flags (docs/migrations.md, "Migration lint").
 * Reads drizzle/ only; drizzle-kit runs on a temporary copy. `--adopt` first records the lint
 * findings of the committed migrations in the listed waivers (docs/migrations.md, "Adopting the
 * migrator in an existing project"), then checks as usual.
 */
import { parseArgs } from "node:util";
import { adoptMigrations, checkMigrations } from "@tools/migration-check/check";
import { describeAdoption } from "@tools/migration-check/lint/adopt";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: "string", default: "drizzle.config.ts" },
      adopt: { type: "boolean", default: false },
      reason: { type: "string" },
    },
  });
  const options = { cwd: process.cwd(), configPath: values.config };
  if (values.reason !== undefined && !values.adopt) {
    throw new Error("--reason goes with --adopt: it is the reason the adopted waivers give.");
  }
  if (values.adopt) {
    const { adoption, label } = await adoptMigrations(options, values.reason);
    console.log(`${describeAdoption(adoption, label)}\n`);
  }
  const findings = await checkMigrations(options);
  for (const { check, problem, fix } of findings.filter((finding) => finding.note)) {
    console.log(`ℹ [${check}] ${problem}\n  ${fix}\n`);
  }
  const problems = findings.filter((finding) => !finding.note);
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
