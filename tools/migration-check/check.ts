import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  DRIZZLE_LEDGER,
  type DrizzleVersion,
  findFolderProblems1,
  findJournalProblems,
  folderLayout,
  JournalFormatError,
  journalPath,
  ledgerName,
  migrationSqlFiles,
  parseJournal,
} from "drizzle-boot-migrator/folder";
import type { Config } from "drizzle-kit";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { drizzleKitVersion, runDrizzleKit } from "./drizzle-kit";
import { lintMigrationFolder } from "./lint";
import { type Adoption, adoptLintFindings, committedMigrations } from "./lint/adopt";
import { readListedWaivers } from "./lint/listed-waivers";
import { checkNoTransactionMigrations } from "./no-transaction";

/**
 * What `npm run db:check` verifies about the migrations folder, without ever writing into it:
 * drizzle-kit's `check` and a probe `generate` both run on a temporary copy; the migration linter
 * (./lint) reads the SQL. Either drizzle-kit layout is checked, as the folder is
 * (`folderLayout`): 0.x's journal, or 1.0's folder per migration, with the project's drizzle-kit
 * of the same major.
 */

export type CheckName =
  | "migrations config"
  | "journal"
  | "folder"
  | "drizzle-kit version"
  | "drizzle-kit check"
  | "uncaptured schema changes"
  | "migration lint"
  | "no-transaction";

export interface MigrationCheckProblem {
  check: CheckName;
  problem: string;
  fix: string;
  /** A fact to know rather than a fault: printed, but the check still passes. */
  note?: true;
}

export interface MigrationCheckOptions {
  /** Where relative paths in the config are resolved from, as drizzle-kit does: the project root. */
  cwd: string;
  /** The drizzle-kit config the project's `db:generate` uses. */
  configPath: string;
}

const GENERATE = "npm run db:generate -- --name <readable-name>";
const PROBE_NAME = "db-check-probe";
// drizzle-kit 1.0 imports its config, and refuses JSON without an import attribute.
const PROBE_CONFIG = "drizzle.config.mjs";

async function loadConfig(configPath: string): Promise<Config> {
  const loaded = (await import(pathToFileURL(configPath).href)) as { default?: Config };
  if (!loaded.default?.dialect) {
    throw new Error(
      `${configPath} has no default export with a "dialect": is it a drizzle config?`,
    );
  }
  return loaded.default;
}

/**
 * drizzle-kit reads the folder and ledger from the config, the server and the migrator CLIs from
 * migrations-config.ts: where they differ, `drizzle-kit migrate` and the migrator keep two ledgers
 * (or the migrator refuses with LEDGER_ELSEWHERE).
 */
function checkSharedSettings(
  config: Config,
  options: MigrationCheckOptions,
): MigrationCheckProblem[] {
  const migrations = "migrations" in config ? config.migrations : undefined;
  const kit = {
    out: path.resolve(options.cwd, config.out ?? "drizzle"),
    ledger: ledgerName({
      schema: migrations?.schema ?? DRIZZLE_LEDGER.schema,
      table: migrations?.table ?? DRIZZLE_LEDGER.table,
    }),
  };
  const app = { out: path.resolve(options.cwd, MIGRATIONS.out), ledger: ledgerName(MIGRATIONS) };
  const differences = [
    kit.out !== app.out && `the folder is ${kit.out} there but ${app.out} here`,
    kit.ledger !== app.ledger && `the ledger is ${kit.ledger} there but ${app.ledger} here`,
  ].filter((difference) => difference !== false);
  if (differences.length === 0) return [];
  return [
    {
      check: "migrations config",
      problem:
        `${options.configPath} disagrees with src/lib/db/migrations-config.ts, which the server ` +
        `and db:migrate use: ${differences.join("; ")}.`,
      fix:
        "Take `out` and `migrations: { schema, table }` in the drizzle config from MIGRATIONS " +
        "(as the committed drizzle.config.ts does), and change them there.",
    },
  ];
}

/**
 * The folder's own structure, in its layout: 0.x's journal, or what drizzle-orm 1.0 would skip
 * in a folder per migration. `readable` is false when there is nothing to hand to drizzle-kit.
 */
function checkFolder(
  outDir: string,
  label: string,
  layout: DrizzleVersion | undefined,
): { readable: boolean; problems: MigrationCheckProblem[] } {
  if (layout !== "1") return checkJournal(outDir, label);
  if (!existsSync(outDir)) {
    return {
      readable: false,
      problems: [
        {
          check: "folder",
          problem: `${label}/ does not exist.`,
          fix: `Restore ${label}/ from version control, or create the first migration with ${GENERATE}.`,
        },
      ],
    };
  }
  const problems = findFolderProblems1(outDir).map(
    ({ problem, fix }): MigrationCheckProblem => ({
      check: "folder",
      problem: `${label}/${problem}`,
      fix,
    }),
  );
  return { readable: true, problems };
}

/** The layout a drizzle-kit `version` reads and writes. */
const kitLayout = (version: string): DrizzleVersion =>
  Number.parseInt(version, 10) >= 1 ? "1" : "0.45";

/**
 * The project's drizzle-kit must read the folder's layout: 0.x refuses to see a folder per
 * migration, and 1.0 refuses a journal ("run drizzle-kit up").
 */
function checkDrizzleKitVersion(
  cwd: string,
  label: string,
  layout: DrizzleVersion,
): MigrationCheckProblem[] {
  const version = drizzleKitVersion(cwd);
  if (kitLayout(version) === layout) return [];
  return [
    layout === "1"
      ? {
          check: "drizzle-kit version",
          problem:
            `${label}/ is in drizzle-kit 1.0's layout (a folder per migration), but this ` +
            `project's drizzle-kit is ${version}, which cannot read it.`,
          fix: "Install drizzle-kit and drizzle-orm 1.0 together (docs/upgrading-drizzle.md).",
        }
      : {
          check: "drizzle-kit version",
          problem:
            `${label}/ is in drizzle-kit 0.x's layout (meta/_journal.json), but this project's ` +
            `drizzle-kit is ${version}, which reads only a folder per migration.`,
          fix: "Convert the folder with `npx drizzle-kit up` and commit it (docs/upgrading-drizzle.md).",
        },
  ];
}

/** `readable` is false when there is no journal to hand to drizzle-kit at all. */
function checkJournal(
  outDir: string,
  label: string,
): { readable: boolean; problems: MigrationCheckProblem[] } {
  const journalLabel = journalPath(label);
  if (!existsSync(journalPath(outDir))) {
    return {
      readable: false,
      problems: [
        {
          check: "journal",
          problem: `${journalLabel} does not exist.`,
          fix: `Restore ${label}/ from version control, or create the first migration with ${GENERATE}.`,
        },
      ],
    };
  }
  try {
    const journal = parseJournal(readFileSync(journalPath(outDir), "utf8"), journalLabel);
    const sqlFiles = migrationSqlFiles(outDir, "0.45");
    const problems = findJournalProblems(journal, sqlFiles).map(
      ({ problem, fix, warning }): MigrationCheckProblem => ({
        check: "journal",
        problem: `${label}/: ${problem}`,
        fix,
        ...(warning ? { note: true } : {}),
      }),
    );
    return { readable: true, problems };
  } catch (error) {
    if (!(error instanceof JournalFormatError)) throw error;
    return {
      readable: false,
      problems: [
        {
          check: "journal",
          problem: error.message,
          fix: `\`git checkout -- ${journalLabel}\` restores the committed version.`,
        },
      ],
    };
  }
}

function absoluteSchema(schema: Config["schema"], cwd: string): string | string[] | undefined {
  if (schema === undefined) return undefined;
  return Array.isArray(schema)
    ? schema.map((s) => path.resolve(cwd, s))
    : path.resolve(cwd, schema);
}

/** What to do about each kind of failure drizzle-kit's `check` reports, keyed by its wording. */
const DRIZZLE_KIT_CHECK_FIXES: [RegExp, string][] = [
  [
    /collision/,
    "Two migrations were generated from the same parent snapshot, usually on two branches: " +
      `delete the one applied nowhere yet (.sql, snapshot, journal entry) and run ${GENERATE} again.`,
  ],
  [
    /not of the latest version/,
    "Run `npx drizzle-kit up` to upgrade the snapshots, and commit them.",
  ],
  [/malformed/, "Restore the snapshot from version control; drizzle-kit writes it."],
];

async function drizzleKitCheck(workDir: string, project: string): Promise<MigrationCheckProblem[]> {
  const run = await runDrizzleKit(["check", "--config", PROBE_CONFIG], { cwd: workDir, project });
  if (run.code === 0 && !run.timedOut) return [];
  const fixes = DRIZZLE_KIT_CHECK_FIXES.filter(([pattern]) => pattern.test(run.output));
  return [
    {
      check: "drizzle-kit check",
      problem: `drizzle-kit check failed (exit ${run.code}):\n${run.output}`,
      fix:
        fixes.map(([, fix]) => fix).join(" ") ||
        "Read drizzle-kit's message above; run `npx drizzle-kit check` to see it again.",
    },
  ];
}

async function uncapturedChanges(
  workDir: string,
  outName: string,
  label: string,
  project: string,
): Promise<MigrationCheckProblem[]> {
  const out = path.join(workDir, outName);
  const before = new Set(migrationSqlFiles(out));
  const run = await runDrizzleKit(["generate", "--config", PROBE_CONFIG, "--name", PROBE_NAME], {
    cwd: workDir,
    project,
  });
  const generated = migrationSqlFiles(out).filter((name) => !before.has(name));
  if (generated.length > 0) {
    const sql = generated.map((name) => readFileSync(path.join(out, name), "utf8")).join("\n");
    return [
      {
        check: "uncaptured schema changes",
        problem: `the schema has changes no migration in ${label}/ captures; drizzle-kit would generate:\n${sql.trim()}`,
        fix: `Run ${GENERATE}, review the new SQL and commit it with the schema change.`,
      },
    ];
  }
  if (run.code === 0 && !run.timedOut && run.output.includes("No schema changes")) return [];
  // The prompt's function names what it asks about, e.g. `promptColumnsConflicts`.
  const asked = /prompt(\w+?)Conflicts/.exec(run.output)?.[1]?.toLowerCase();
  if (asked && run.output.includes("Interactive prompts require a TTY")) {
    return [
      {
        check: "uncaptured schema changes",
        problem:
          `the schema has changes drizzle-kit must ask you about (${asked}: is one renamed, or ` +
          "dropped and a new one added?), so no migration captures them yet.",
        fix: `Run ${GENERATE} in a terminal, answer its questions, review the SQL and commit it.`,
      },
    ];
  }
  return [
    {
      check: "uncaptured schema changes",
      problem:
        `drizzle-kit generate could not compare the schema with ${label}/` +
        `${run.timedOut ? " (it timed out)" : ""}:\n${run.output}`,
      fix: "Fix the error above (often a schema module that fails to load), then run db:check again.",
    },
  ];
}

/**
 * Records the lint findings of the committed migrations in the listed waivers, giving `reason`
 * (lint/adopt.ts); `label` is the folder as messages show it.
 */
export async function adoptMigrations(
  options: MigrationCheckOptions,
  reason?: string,
): Promise<{ adoption: Adoption; label: string }> {
  const config = await loadConfig(path.resolve(options.cwd, options.configPath));
  const folder = path.resolve(options.cwd, config.out ?? "drizzle");
  const label = path.relative(options.cwd, folder) || ".";
  const committed = committedMigrations(folder);
  const adoption = await adoptLintFindings({ root: options.cwd, folder, label, committed, reason });
  return { adoption, label };
}

export async function checkMigrations(
  options: MigrationCheckOptions,
): Promise<MigrationCheckProblem[]> {
  const configPath = path.resolve(options.cwd, options.configPath);
  const config = await loadConfig(configPath);
  const outDir = path.resolve(options.cwd, config.out ?? "drizzle");
  const label = path.relative(options.cwd, outDir) || ".";

  // A missing or empty folder is in the layout the project's drizzle-kit would write.
  const layout = folderLayout(outDir) ?? kitLayout(drizzleKitVersion(options.cwd));
  const { readable, problems } = checkFolder(outDir, label, layout);
  problems.unshift(...checkSharedSettings(config, options));
  if (existsSync(outDir)) {
    const listed = readListedWaivers(options.cwd);
    problems.push(...(await lintMigrationFolder(outDir, label, listed)));
    for (const { file: _file, ...finding } of checkNoTransactionMigrations(outDir, label)) {
      problems.push({ check: "no-transaction", ...finding });
    }
  }
  // drizzle-kit would create a missing folder, or crash on a broken journal: nothing to learn.
  if (!readable) return problems;
  const kitProblems = checkDrizzleKitVersion(options.cwd, label, layout);
  if (kitProblems.length > 0) return [...problems, ...kitProblems];

  const workDir = mkdtempSync(path.join(tmpdir(), "db-check-"));
  try {
    const outName = "drizzle";
    cpSync(outDir, path.join(workDir, outName), { recursive: true });
    // Same settings as the project's config, except where it writes; credentials are not needed.
    const { dbCredentials: _unused, ...settings } = config as Config & { dbCredentials?: unknown };
    const probeConfig = {
      ...settings,
      schema: absoluteSchema(config.schema, options.cwd),
      out: `./${outName}`,
    };
    writeFileSync(
      path.join(workDir, PROBE_CONFIG),
      `export default ${JSON.stringify(probeConfig)};\n`,
    );

    const checkProblems = await drizzleKitCheck(workDir, options.cwd);
    // generate refuses to run on snapshots that fail `check`, repeating the same error.
    if (checkProblems.length > 0) return [...problems, ...checkProblems];
    return [...problems, ...(await uncapturedChanges(workDir, outName, label, options.cwd))];
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
