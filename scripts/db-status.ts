/**
 * `npm run db:status [-- --migrations-folder <dir>] [--migrations-schema/-table <name>]
 * [--fail-on-pending] [--verify [--scratch-url <url>]]`: compares the database's ledger with the
 * migrations folder (applied, pending, problems) without locking or writing; with --verify, also
 * db:verify's verdict on the schema (scripts/db-verify.ts).
 * Without any database URL it inspects the dev database of `npm run dev`.
 * Exit codes: 0 no problems, 1 problems found (or pending, with --fail-on-pending; or drift, or
 * no verdict, with --verify) or the database unreachable, 2 bad configuration or usage.
 */
import {
  type DevDatabase,
  devResetHint,
  onConfiguredOrDevDatabase,
} from "@tools/database-source/dev-database";
import { BASELINE_COMMAND, takeOptions, verifyApp, verifyResetCodes } from "@tools/verify/run";
import {
  chooseMigrationsUrl,
  inspectMigrationSets,
  type MigrationSet,
  type MigrationStatus,
  openMigratorConnection,
  type Preflight,
  readPreflight,
  schemasWritten,
  setLabel,
  transactionPoolerReason,
} from "drizzle-boot-migrator";
import { EXIT } from "drizzle-boot-migrator/cli";
import {
  findFolderProblems1,
  folderLayout,
  ledgerName,
  migrationSqlFiles,
  sqlFilesOutsideJournal,
} from "drizzle-boot-migrator/folder";
import { formatVerifyReport, type Verdict } from "drizzle-boot-migrator/verify";
import { type Env, readEnv } from "../src/env";
import {
  appCliOptions,
  appMigratorLog,
  reportAppCliFailure,
} from "../src/lib/db/migrator-settings";

const USAGE =
  "usage: npm run db:status [-- --migrations-folder <dir>] [--migrations-schema <name>] " +
  "[--migrations-table <name>] [--fail-on-pending] [--verify [--scratch-url <url>]]\n" +
  "  --fail-on-pending  exit 1 when migrations are pending (for CI and release checks)\n" +
  "  --verify           also compare the schema with what the applied migrations build\n" +
  "                     (npm run db:verify; its --scratch-url and --install-postgres apply)";

const when = (ms: number | null) => (ms === null ? "NULL" : new Date(ms).toISOString());

async function main(): Promise<number> {
  const configured = chooseMigrationsUrl(readEnv()) !== undefined;
  return onConfiguredOrDevDatabase(
    configured,
    (line) => console.error(`[status] ${line}`),
    async (dev) => {
      const overrides = dev ? { url: dev.url, urlVariable: "DEV_DATABASE_DIR" as const } : {};
      return report(overrides, dev);
    },
  );
}

async function report(
  overrides: Parameters<typeof appCliOptions>[3],
  dev: DevDatabase | undefined,
): Promise<number> {
  const { values, rest } = takeOptions(process.argv.slice(2), ["scratch-url"], USAGE);
  const { settings, sets, flags } = appCliOptions(
    rest,
    USAGE,
    ["fail-on-pending", "verify", "install-postgres"],
    overrides,
  );
  // stdout carries the report; the migrator's own lines (connect retries) go to stderr.
  const log = appMigratorLog((line) => console.error(line));
  const statuses = await inspectMigrationSets(settings, sets, { log });
  const written = statuses.flatMap(({ set, status }) =>
    schemasWritten(set.ledger.schema, status.pending),
  );
  const { session } = await openMigratorConnection(settings, log);
  const preflight = await readPreflight(session, [...new Set(written)]).finally(() =>
    session.close(),
  );
  const lines = [
    `database: ${statuses[0]?.status.target}`,
    ...describePreflight(preflight, readEnv()),
  ];
  for (const [index, { set, status }] of statuses.entries()) {
    if (statuses.length > 1)
      lines.push("", `set ${index + 1} of ${statuses.length}: ${setLabel(set)}`);
    lines.push(...describeSet(set, status));
  }
  const problems = statuses.flatMap(({ status }) => status.problems);
  const codes: string[] = problems.map((problem) => problem.code);
  let verdict: Verdict | undefined;
  if (flags.verify) {
    const report = await verifyApp({
      settings,
      sets,
      scratchUrl: values["scratch-url"]?.[0] ?? dev?.adminUrl,
      installPostgres: flags["install-postgres"],
      log: (line) => console.error(`[verify] ${line}`),
    });
    verdict = report.verdict;
    codes.push(...verifyResetCodes(report));
    // The report's first line names the database, which the status already did.
    lines.push("", "verify:", ...formatVerifyReport(report, "", BASELINE_COMMAND).slice(1));
  }
  const hint = dev && devResetHint(codes);
  if (hint) lines.push(hint);
  console.log(lines.join("\n"));
  if (problems.length > 0 || (verdict && verdict !== "match")) return EXIT.failed;
  const pending = statuses.some(({ status }) => status.pending.length > 0);
  if (flags["fail-on-pending"] && pending) return EXIT.failed;
  return EXIT.ok;
}

/** The facts an operator checks before a deploy (docs/migrations.md#before-a-deploy-dbstatus). */
function describePreflight(preflight: Preflight, env: Env): string[] {
  const { role, schemas } = preflight;
  const access = schemas.map(
    ({ schema, exists, canCreate }) =>
      `${schema}${exists ? "" : " (to be created)"} ${canCreate ? "yes" : "NO"}`,
  );
  const declared = env.DATABASE_POOLER ? `DATABASE_POOLER=${env.DATABASE_POOLER}` : "not declared";
  const recognised = env.DATABASE_URL && transactionPoolerReason(env.DATABASE_URL);
  return [
    `server:   PostgreSQL ${preflight.serverVersion}`,
    `role:     ${role}; may create in ${access.join(", ")}`,
    `target:   ${preflight.standby ? "a standby (read-only)" : preflight.readOnly ? "read-only (default_transaction_read_only)" : "read-write"}`,
    `tls:      ${preflight.tls ? "in use" : "not in use"}`,
    `pooler:   DATABASE_URL: ${declared}, ${recognised ? `recognised: ${recognised}` : "none recognised"}; ` +
      "the migrations URL is a direct connection (a recognised transaction pooler is refused)",
  ];
}

function describeSet(set: MigrationSet, status: MigrationStatus): string[] {
  const width = Math.max(8, ...[...status.applied, ...status.pending].map((m) => m.tag.length));
  const lines = [
    `folder:   ${set.migrationsFolder} (${status.total} migrations)`,
    `ledger:   ${ledgerName(set.ledger)}`,
    `version:  ${status.version ?? "(nothing applied)"}`,
    "",
    `applied (${status.applied.length}):`,
    ...status.applied.map(
      (m) => `  ${m.tag.padEnd(width)}  ${when(m.when)}  ledger id ${m.ledgerId}`,
    ),
    `pending (${status.pending.length}):`,
    ...status.pending.map((m) => `  ${m.tag.padEnd(width)}  ${when(m.when)}`),
  ];
  if (status.unknown.length > 0) {
    lines.push(`in the database but not in the folder (${status.unknown.length}):`);
    lines.push(
      ...status.unknown.map(
        (row) => `  ledger id ${row.id}  ${when(row.createdAt)}  ${row.hash.slice(0, 12)}…`,
      ),
    );
  }
  lines.push(...describeUnread(set.migrationsFolder, status));
  if (status.warnings.length > 0) {
    lines.push(`warnings (${status.warnings.length}):`);
    lines.push(...status.warnings.map((warning) => `  ! ${warning}`));
  }
  lines.push(`problems (${status.problems.length}):`);
  for (const problem of status.problems) {
    lines.push(`  ✗ ${problem.code}: ${problem.message.split("\n").join("\n    ")}`);
  }
  return lines;
}

/** What in the folder no migrator applies, in its drizzle-kit layout. */
function describeUnread(folder: string, status: MigrationStatus): string[] {
  if (folderLayout(folder) === "1") {
    const problems = findFolderProblems1(folder);
    if (problems.length === 0) return [];
    return [
      `skipped or misread by drizzle-orm 1.0 (${problems.length}) (docs/upgrading-drizzle.md#the-tools-on-either-layout):`,
      ...problems.map(({ problem }) => `  ${problem}`),
    ];
  }
  const tags = [...status.applied, ...status.pending].map((m) => m.tag);
  const outside = sqlFilesOutsideJournal(tags, migrationSqlFiles(folder, "0.45"));
  if (outside.length === 0) return [];
  return [
    `not in meta/_journal.json (${outside.length}): no migrator applies these files, neither ` +
      "this one nor drizzle-kit migrate (docs/migrations.md#files-outside-the-journal):",
    ...outside.map((name) => `  ${name}`),
  ];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportAppCliFailure(error)),
);
