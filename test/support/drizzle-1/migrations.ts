import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LedgerLocation } from "drizzle-boot-migrator";
import { ledgerName } from "drizzle-boot-migrator/folder";
import { afterAll } from "vitest";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { directoryName1 } from "../directory-name-1";
import {
  drizzleKitMigrate,
  type FixtureMigration,
  migratorChildEnv,
  startBoot,
  withSql,
  writeBootDirectory,
  writeMigrationFolder,
} from "../migrator";
import { TEST_DRIVER } from "../migrator-driver";
import { type ProcessResult, startProcess, startScript } from "../processes";
import { DRIZZLE_1_DIR, DRIZZLE_1_REGISTER, DRIZZLE_1_VERSION, installedDrizzle1 } from "./paths";

/** Stops a run whose 1.0 pair is missing with the command that installs it. */
export function requireDrizzle1(): void {
  const found = installedDrizzle1();
  if (found === DRIZZLE_1_VERSION) return;
  throw new Error(
    `drizzle-orm ${DRIZZLE_1_VERSION} is not installed in .data/drizzle-1 (found: ${found ?? "none"}); ` +
      "run `npm run test:drizzle-1`, which installs it first.",
  );
}

/** drizzle-kit 1.0's folder name for a fixture migration. */
export const folderName1 = directoryName1;

const temporaryFolders: string[] = [];
afterAll(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A migrations folder in drizzle-kit 1.0's layout, as `drizzle-kit up` makes it, in a temp dir. */
export const writeMigrationFolder1 = (migrations: FixtureMigration[], folder?: string): string =>
  writeMigrationFolder(migrations, folder, "1");

/**
 * The package's own CLI, `drizzle-boot-migrator migrate` (or `command`), as a real process on
 * drizzle-orm 1.0 (the app's scripts load its schema, which is written for 0.45), from a directory
 * without a drizzle.config. `args` follow the folder (the ledger flags, further sets).
 */
export function migrate1(
  url: string,
  folder: string,
  options: { args?: string[]; drizzle?: "0.45"; command?: "migrate" | "status" } = {},
): Promise<ProcessResult> {
  return startScript(
    "packages/drizzle-boot-migrator/src/bin.ts",
    // On this run's test driver (test/support/migrator-driver.ts), as the boot is.
    [
      options.command ?? "migrate",
      "--driver",
      TEST_DRIVER,
      "--migrations-folder",
      folder,
      ...(options.args ?? []),
    ],
    {
      cwd: tmpdir(),
      env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: url }),
      imports: options.drizzle === "0.45" ? [] : [DRIZZLE_1_REGISTER],
    },
  ).exited;
}

export interface LedgerRow1 {
  id: number;
  hash: string;
  created_at: number;
  /** Absent while the ledger is in 0.45's format. */
  name?: string | null;
  applied_at?: string | null;
}

/** Every row of a ledger with whatever columns it has, in id order; [] when it does not exist. */
export function ledgerRows(
  url: string,
  ledger: LedgerLocation = MIGRATIONS,
): Promise<LedgerRow1[]> {
  return withSql(url, async (sql) => {
    const [found] = await sql<{ exists: boolean }[]>`
      select to_regclass(${ledgerName(ledger)}) is not null as exists`;
    if (!found?.exists) return [];
    const rows = await sql<{ row: LedgerRow1 }[]>`
      select to_jsonb(l) as row from ${sql(ledger.schema)}.${sql(ledger.table)} l order by id`;
    return rows.map(({ row }) => row);
  });
}

/** A server of the app's release on drizzle-orm 0.45 booting with `migrations` as its drizzle/. */
export function boot045(
  url: string,
  migrations: FixtureMigration[],
  env: Record<string, string>,
): Promise<ProcessResult> {
  return startBoot(url, writeBootDirectory(migrations), env).exited;
}

const DRIZZLE_KIT_1 = path.join(DRIZZLE_1_DIR, "node_modules", "drizzle-kit");

/** drizzle-kit 1.0's `up` on `folder`: converts a journal folder to a folder per migration. */
export function drizzleKitUp(folder: string): Promise<ProcessResult> {
  const bin = path.join(DRIZZLE_KIT_1, "bin.cjs");
  return startProcess(process.execPath, [bin, "up", "--dialect", "postgresql", "--out", folder], {
    cwd: path.dirname(folder),
  }).exited;
}

/** drizzle-kit 1.0's own `migrate` of `folder` on `url`, with `ledger` as its `migrations`. */
export function drizzleKitMigrate1(
  url: string,
  folder: string,
  ledger?: LedgerLocation,
): Promise<ProcessResult> {
  return drizzleKitMigrate(url, folder, ledger, DRIZZLE_KIT_1);
}

/** A copy of `folder` in a temp dir, removed after the file's tests. */
export function copyFolder(folder: string): string {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "migrator-copy-")), "drizzle");
  temporaryFolders.push(path.dirname(target));
  cpSync(folder, target, { recursive: true });
  return target;
}
