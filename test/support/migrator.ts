import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CommandResult, CommandRun } from "@tools/cli/run-command";
import { runDrizzleKit } from "@tools/migration-check/drizzle-kit";
import {
  createLog,
  type Log,
  MIGRATION_LOCK_PG_LOCKS,
  type MigrationSet,
} from "drizzle-boot-migrator";
import {
  BREAKPOINT,
  type LedgerLocation,
  ledgerName,
  readJournal,
  writeMigrationFolder as writeFolder,
  writeMigrationFolder1 as writeFolder1,
} from "drizzle-boot-migrator/folder";
import { afterAll, afterEach, beforeEach } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { createTestDatabase, MIGRATIONS_FOLDER, type TestDatabase } from "./database";
import { directoryName1 } from "./directory-name-1";
import { DRIZZLE_IMPORTS, TEST_DRIZZLE } from "./drizzle-version";
import { TEST_DRIVER } from "./migrator-driver";
import {
  type ProcessResult,
  REPO_ROOT,
  type RunningProcess,
  startProcess,
  startScript,
} from "./processes";

export interface FixtureMigration {
  tag: string;
  /** The journal `when` (ms). */
  when: number;
  /** The statements; joined with drizzle-kit's `--> statement-breakpoint`. */
  statements: string[];
}

/** The journal `when` of the first fixture migration (ms; 2023-11-14). */
export const FIXTURE_T0 = 1_700_000_000_000;

/** Fixture migration `n`: tag `000<n>_step-<n>`, a second after the one before. */
export function fixtureMigration(
  n: number,
  statements = [`create table step_${n} (id int)`],
): FixtureMigration {
  return { tag: `000${n}_step-${n}`, when: FIXTURE_T0 + n * 1000, statements };
}

/** Fixture migration `n` whose file starts with the `-- no-transaction` marker line. */
export function noTransactionMigration(n: number, statements: string[]): FixtureMigration {
  const [first = "", ...rest] = statements;
  return {
    tag: `000${n}_no-transaction-${n}`,
    when: FIXTURE_T0 + n * 1000,
    statements: [`-- no-transaction\n${first}`, ...rest],
  };
}

const temporaryFolders: string[] = [];
afterAll(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/**
 * A fresh, empty database for each test of the file: created before the test, dropped after it
 * (and after the file's own later-registered `afterEach` hooks, which vitest runs first).
 */
export function emptyDatabasePerTest(): { readonly url: string } {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await createTestDatabase();
  });
  afterEach(async () => {
    await current?.drop();
    current = undefined;
  });
  return {
    get url() {
      if (!current) throw new Error("emptyDatabasePerTest(): the database exists only in tests");
      return current.url;
    },
  };
}

/**
 * A migrations folder as drizzle-kit writes it, in a temp dir: in `layout` 0.45 a journal and one
 * .sql per entry, in 1.0 a directory per migration; by default this run's drizzle's (TEST_DRIZZLE).
 */
export function writeMigrationFolder(
  migrations: FixtureMigration[],
  folder?: string,
  layout: "0.45" | "1" = TEST_DRIZZLE,
): string {
  const target = folder ?? mkdtempSync(path.join(tmpdir(), "migrator-fixture-"));
  if (!folder) temporaryFolders.push(target);
  rmSync(target, { recursive: true, force: true });
  const sqlOf = ({ statements }: FixtureMigration) => statements.join(`\n${BREAKPOINT}\n`);
  if (layout === "1") {
    writeFolder1(
      target,
      migrations.map((migration) => ({ tag: directoryName1(migration), sql: sqlOf(migration) })),
    );
  } else {
    writeFolder(
      target,
      migrations.map((migration) => ({ ...migration, sql: sqlOf(migration) })),
    );
  }
  return target;
}

/**
 * The app's migrations (drizzle/) in drizzle-kit 1.0's layout, in a temp dir: each file whole,
 * in the directory `drizzle-kit up` gives it.
 */
export function projectMigrations1(): string {
  const { entries } = readJournal(MIGRATIONS_FOLDER);
  return writeMigrationFolder(
    entries.map(({ tag, when }) => ({
      tag,
      when,
      statements: [readFileSync(path.join(MIGRATIONS_FOLDER, `${tag}.sql`), "utf8")],
    })),
    undefined,
    "1",
  );
}

/**
 * A fixture migration's name on this run's drizzle (TEST_DRIZZLE), as reports, logs and the
 * ledger name it: its tag on 0.45, its directory on 1.0.
 */
export function migrationName(migration: Pick<FixtureMigration, "tag" | "when">): string {
  return TEST_DRIZZLE === "1" ? directoryName1(migration) : migration.tag;
}

/** The `created_at` the ledger records for a fixture migration: its `when`, to the second on 1.0. */
export function recordedWhen(migration: Pick<FixtureMigration, "when">): number {
  return TEST_DRIZZLE === "1" ? Math.trunc(migration.when / 1000) * 1000 : migration.when;
}

/** A fixture migration's SQL file, relative to its folder, as messages name it. */
export function migrationFile(migration: Pick<FixtureMigration, "tag" | "when">): string {
  return TEST_DRIZZLE === "1"
    ? `${directoryName1(migration)}/migration.sql`
    : `${migration.tag}.sql`;
}

/**
 * drizzle-kit's own `generate` (`args` after it) into `folder`, from fixtures/drizzle-kit-schema.ts,
 * with `options` (e.g. `breakpoints`, `migrations.prefix`) in its config. `out` is relative: with
 * a prefix other than "index", drizzle-kit 0.31 reads the previous snapshot at `./<out>/meta/...`,
 * which an absolute `out` breaks.
 */
export function drizzleKitGenerate(
  folder: string,
  options: Record<string, unknown>,
  args: string[],
): Promise<CommandRun> {
  const config = path.join(folder, "generate.config.json");
  const settings = {
    dialect: "postgresql",
    schema: path.join(REPO_ROOT, "test/support/fixtures/drizzle-kit-schema.ts"),
    out: `./${path.basename(folder)}`,
    ...options,
  };
  writeFileSync(config, JSON.stringify(settings));
  return runDrizzleKit(["generate", "--config", config, ...args], { cwd: path.dirname(folder) });
}

/**
 * The real `drizzle-kit migrate` on `url`: with the repository's drizzle.config.ts, or, given a
 * `folder`, with a config for it (and `ledger` as its `migrations` setting), written without
 * imports so it loads from a temp dir. `kit` is the drizzle-kit to run: the app's, unless a test
 * names another (drizzle-kit 1.0's, test/support/drizzle-1/).
 */
export function drizzleKitMigrate(
  url: string,
  folder?: string,
  ledger?: LedgerLocation,
  kit = path.join(REPO_ROOT, "node_modules", "drizzle-kit"),
): Promise<ProcessResult> {
  const args = [path.join(kit, "bin.cjs"), "migrate"];
  if (folder) {
    const config = path.join(folder, "drizzle.config.ts");
    const body = {
      dialect: "postgresql",
      out: folder,
      dbCredentials: { url },
      ...(ledger ? { migrations: ledger } : {}),
    };
    writeFileSync(config, `export default ${JSON.stringify(body)};\n`);
    args.push("--config", config);
  }
  const env = migratorChildEnv({ MIGRATIONS_DATABASE_URL: url });
  return startProcess(process.execPath, args, { env }).exited;
}

/**
 * A server's working directory holding `drizzle/` with `migrations` (boot reads `./drizzle`), in a
 * temp dir removed after the file's tests.
 */
export function writeBootDirectory(migrations: FixtureMigration[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "migrator-boot-"));
  temporaryFolders.push(dir);
  writeMigrationFolder(migrations, path.join(dir, "drizzle"));
  return dir;
}

/** Variables a child must not inherit, so that only what a test passes decides its behaviour. */
const MIGRATOR_VARIABLES =
  /^(DATABASE_URL|DATABASE_URL_UNPOOLED|POSTGRES_URL_NON_POOLING|MIGRATIONS_DATABASE_URL|MIGRATE_ON_BOOT|MIGRATION_.*)$/;

/** This process's environment without any migrator setting, plus `env`. */
export function migratorChildEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !MIGRATOR_VARIABLES.test(name)),
  );
  return { ...inherited, ...env } as NodeJS.ProcessEnv;
}

/** `npm run db:<script>` as a real process (tsx, like the npm scripts). */
export function startMigratorCli(
  script: "migrate" | "status" | "verify" | "baseline",
  options: { url: string; folder?: string; env?: Record<string, string>; args?: string[] },
): RunningProcess {
  const args = [
    ...(options.folder ? ["--migrations-folder", options.folder] : []),
    ...(options.args ?? []),
  ];
  // db:migrate on another driver than the app's: the same script but for the migrator's session.
  const file =
    script === "migrate" && TEST_DRIVER !== "postgres"
      ? "test/support/fixtures/migrate-with-driver.ts"
      : `scripts/db-${script}.ts`;
  return startScript(file, args, {
    env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: options.url, ...options.env }),
    imports: DRIZZLE_IMPORTS,
  });
}

/**
 * A server process's boot (test/support/fixtures/boot-migrations.ts: `bootMigrations()` without
 * Next) in `dir`, with `DATABASE_URL` set as a deployment would; `sets` replace the migration sets
 * of migrations-config.ts.
 */
export function startBoot(
  url: string,
  dir: string,
  env: Record<string, string> = {},
  sets?: MigrationSet[],
): RunningProcess {
  const args = sets ? [JSON.stringify(sets)] : [];
  return startScript("test/support/fixtures/boot-migrations.ts", args, {
    cwd: dir,
    env: migratorChildEnv({ DATABASE_URL: url, ...env }),
    imports: DRIZZLE_IMPORTS,
  });
}

export function runMigratorCli(
  script: Parameters<typeof startMigratorCli>[0],
  options: Parameters<typeof startMigratorCli>[1],
): Promise<ProcessResult> {
  return startMigratorCli(script, options).exited;
}

/** A migrator log that keeps its human-readable lines (`[migrate] …`) in `lines`. */
export function linesLog(lines: string[]): Log {
  return createLog({ prefix: "migrate", write: (line) => lines.push(line) });
}

/** A short-lived connection for assertions, closed after `work`. */
export async function withSql<T>(
  url: string,
  work: (sql: ReturnType<typeof createDbConnection>["client"]) => Promise<T>,
  applicationName = "migrator-test",
): Promise<T> {
  const connection = createDbConnection({ url, max: 1, applicationName });
  try {
    return await work(connection.client);
  } finally {
    await connection.close();
  }
}

/** A ledger (the app's, of migrations-config.ts) as `created_at` values in id order; [] if missing. */
export function ledgerWhens(url: string, ledger: LedgerLocation = MIGRATIONS): Promise<number[]> {
  return withSql(url, async (sql) => {
    const [exists] = await sql<{ found: boolean }[]>`
      select to_regclass(${ledgerName(ledger)}) is not null as found`;
    if (!exists?.found) return [];
    const rows = await sql<{ created_at: string }[]>`
      select created_at::text from ${sql(ledger.schema)}.${sql(ledger.table)} order by id`;
    return rows.map((row) => Number(row.created_at));
  });
}

export function tableExists(url: string, table: string): Promise<boolean> {
  return withSql(url, async (sql) => {
    const [row] = await sql<{ found: boolean }[]>`
      select to_regclass(${`public.${table}`}) is not null as found`;
    return row?.found ?? false;
  });
}

export function schemaExists(url: string, schema: string): Promise<boolean> {
  return withSql(url, async (sql) => {
    const [row] = await sql<{ found: boolean }[]>`
      select exists (select from pg_namespace where nspname = ${schema}) as found`;
    return row?.found ?? false;
  });
}

/** Sessions holding (or waiting for) the migration lock on this database. */
export function migrationLockHolders(url: string): Promise<{ pid: number; granted: boolean }[]> {
  return withSql(url, (sql) =>
    sql<{ pid: number; granted: boolean }[]>`
      select pid, granted from pg_locks
      where locktype = 'advisory'
        and database = (select oid from pg_database where datname = current_database())
        and classid = ${MIGRATION_LOCK_PG_LOCKS.classid}
        and objid = ${MIGRATION_LOCK_PG_LOCKS.objid}
        and objsubid = ${MIGRATION_LOCK_PG_LOCKS.objsubid}`.then((rows) => [...rows]),
  );
}

/**
 * The backend pid of a migrator process (by its application_name) running a statement that
 * contains `fragment`, or undefined when none is.
 */
export function migratorBackendRunning(url: string, fragment: string): Promise<number | undefined> {
  return withSql(url, async (sql) => {
    const [row] = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = current_database() and application_name like 'agency-reporting:migrator%'
        and state = 'active' and strpos(query, ${fragment}) > 0`;
    return row?.pid;
  });
}

/**
 * Runs `work` while `paused` is stopped (SIGSTOP, as a frozen VM or serverless instance), then
 * resumes it (SIGCONT, also when `work` fails) and waits for it to end.
 */
export async function whilePaused<T>(
  paused: RunningProcess,
  work: () => Promise<T>,
): Promise<{ value: T; resumed: ProcessResult }> {
  paused.child.kill("SIGSTOP");
  let value: T;
  try {
    value = await work();
  } finally {
    paused.child.kill("SIGCONT");
  }
  return { value, resumed: await paused.exited };
}

/** Polls `condition` until it holds; throws with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `eventually` for a state that `running` is to reach: fails at once, with its output, if the
 * process ends first, and waits up to 40 s, since the process starts (tsx, drizzle, a driver's
 * login) on a machine other test files keep busy.
 */
export async function eventuallyWhileRunning(
  running: RunningProcess,
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 40_000,
): Promise<void> {
  let ended: CommandResult | undefined;
  void running.exited.then((result) => {
    ended = result;
  });
  await eventually(
    what,
    async () => {
      if (ended) {
        throw new Error(`${what}: the process ended first (exit ${ended.code}):\n${ended.output}`);
      }
      return condition();
    },
    timeoutMs,
  );
}
