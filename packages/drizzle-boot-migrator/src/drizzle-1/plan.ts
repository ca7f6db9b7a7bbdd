/**
 * drizzle-orm 1.0's selection rule, validated: a migration is pending when no ledger row has its
 * name. What 1.0 would silently get wrong is refused here; what it changes on purpose is said.
 *
 * An older unapplied migration (a branch merged after a newer migration was applied) is applied,
 * in folder order with the other pending ones, as drizzle-kit 1.0's own `migrate` does, so that
 * the boot and drizzle-kit never disagree on what a database needs. It is never silent: the plan
 * warns, naming it and the newer migration already applied.
 */
import {
  type LedgerRow,
  ledgerName,
  type MigrationFile,
  recordsFile,
} from "../drizzle-0.45/format.ts";
import { MigrationError } from "../errors.ts";
import { nameOf } from "../settings.ts";
import {
  appliedEntry,
  checksumMismatch,
  type MigrationPlan,
  type PlanOptions,
  pendingProblems,
  targetProblems,
} from "../validation.ts";
import { migrationFileOf, upgradeMatcher } from "./format.ts";

const iso = (when: number | null) => (when === null ? "none" : new Date(when).toISOString());

/** A ledger row as messages name it. */
const describeRow = (row: LedgerRow) =>
  `ledger id ${row.id} (created_at ${row.createdAt ?? "NULL"}, ${iso(row.createdAt)}; ` +
  `hash ${row.hash.slice(0, 12)}…${row.name ? `; name ${row.name}` : ""})`;

export function plan1(
  files: MigrationFile[],
  rows: LedgerRow[],
  options: PlanOptions,
): MigrationPlan {
  const problems = targetProblems(files, options);
  const ledger = ledgerName(options.ledger);
  const byName = new Map(files.map((file) => [file.tag, file] as const));
  const upgradeMatch = upgradeMatcher(files);
  const rowByTag = new Map<string, LedgerRow>();
  const unknown: LedgerRow[] = [];
  const unmatched: LedgerRow[] = [];
  for (const row of rows) {
    if (row.name === null) {
      const same = files.find((file) => recordsFile(row.hash, file));
      problems.push(
        new MigrationError(
          "LEDGER_INVALID",
          `Ledger row ${describeRow(row)} in ${ledger} has no name: drizzle-orm 1.0 selects by ` +
            "name and would run its migration again. Nothing was written. Set its name to the " +
            `folder name of the migration it records${same ? ` (its hash is ${same.tag}'s)` : ""}, ` +
            "or delete the row if that migration is not applied.",
          { tag: same?.tag },
        ),
      );
      continue;
    }
    const file = row.name === undefined ? upgradeMatch(row) : byName.get(row.name);
    if (!file) {
      (row.name === undefined ? unmatched : unknown).push(row);
      continue;
    }
    if (rowByTag.has(file.tag)) continue;
    rowByTag.set(file.tag, row);
    if (!recordsFile(row.hash, file)) {
      problems.push(checksumMismatch(file, row, migrationFileOf(file.tag)));
    }
  }
  for (const row of unmatched) problems.push(unmatchedRow(row, ledger));
  for (const row of options.allowUnknownApplied ? [] : unknown) {
    problems.push(
      new MigrationError(
        "UNKNOWN_APPLIED",
        `The database records a migration this code does not have: ${describeRow(row)}. This ` +
          "build is older than the database, or a migration folder was deleted or renamed. " +
          `Deploy code that has it, or set ${nameOf(options, "allowUnknownApplied")}=true to run ` +
          "older code on the newer schema on purpose.",
      ),
    );
  }

  const pending = files.filter((file) => !rowByTag.has(file.tag));
  const applied = files.flatMap((file) => {
    const row = rowByTag.get(file.tag);
    return row ? [appliedEntry(file, row)] : [];
  });
  const newest = applied.at(-1);
  const warnings = pending
    .filter((file) => newest && file.tag < newest.tag)
    .map(
      (file) =>
        `Migration ${file.tag} is pending but older than ${newest?.tag}, which is applied (a ` +
        "branch merged later): it is applied now, in folder order, as drizzle-orm 1.0 does. " +
        "Check that it does not depend on the order it was written in.",
    );
  problems.push(...pendingProblems(pending, migrationFileOf));
  const ledgerUpgrade = rows.some((row) => row.name === undefined);
  const version = newest?.tag ?? null;
  return {
    applied,
    pending,
    unknown,
    warnings,
    problems,
    version,
    total: files.length,
    ledgerUpgrade,
  };
}

/**
 * A 0.45 ledger row that drizzle-orm 1.0's ledger upgrade cannot name: the upgrade would throw,
 * and no setting can let it through, so nothing runs until the row or the folder changes.
 */
function unmatchedRow(row: LedgerRow, ledger: string): MigrationError {
  return new MigrationError(
    "LEDGER_UNMATCHED",
    `Ledger row ${describeRow(row)} in ${ledger} matches no migration of this folder, so ` +
      "drizzle-orm 1.0 cannot upgrade the ledger (it names each row after its migration, by " +
      "the second of created_at, then by hash). Nothing was written. If the migration exists " +
      "elsewhere (another branch, a folder not yet converted), deploy the code that has it; if " +
      "this build is older than the database, deploy the newer one; if the migration was " +
      `removed on purpose and its changes are gone from the schema, delete the row ` +
      `(\`delete from ${ledger} where id = ${row.id}\`) and boot again.`,
  );
}
