import { ALLOW_MARKER, ALLOWABLE_KINDS, NO_TRANSACTION_MARKER } from "drizzle-boot-migrator/folder";

/**
 * The squawk rules db:check enforces, each with the safe way to do what it flags. The rest of
 * squawk's rules are off on purpose; docs/migrations.md ("Migration lint") says why for each.
 * Every rule has a section of that name in docs/migrations.md.
 */

const NO_TRANSACTION = `a migration whose first line is \`${NO_TRANSACTION_MARKER}\``;

const CONTRACT =
  "This is a contract step: ship it only once no deployed release reads what it removes, " +
  "and say so in a waiver on the statement (`-- lint-waiver <rule>: <which release stopped reading it>`).";

export const RULES: Readonly<Record<string, string>> = {
  // Lock hazards: each blocks reads or writes on an existing table while it scans or rewrites it.
  "require-concurrent-index-creation": `Build the index with CREATE INDEX CONCURRENTLY in ${NO_TRANSACTION}.`,
  "require-concurrent-index-deletion": `Drop the index with DROP INDEX CONCURRENTLY in ${NO_TRANSACTION}.`,
  "constraint-missing-not-valid":
    "Add the constraint with NOT VALID, then VALIDATE CONSTRAINT in a later migration (it scans without blocking writes).",
  "adding-foreign-key-constraint":
    "Add the foreign key with NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
  "disallowed-unique-constraint": `Build a unique index CONCURRENTLY in ${NO_TRANSACTION}, then ADD CONSTRAINT ... UNIQUE USING INDEX.`,
  "changing-column-type":
    "Add a column of the new type, write both, backfill in batches, move reads over, and drop the old column in a later release.",
  "adding-not-nullable-field":
    "Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (Postgres skips the scan) and drop the check.",
  "adding-required-field":
    "Give the column a constant DEFAULT (no rewrite), or add it nullable, backfill, and make it NOT NULL later.",
  "adding-field-with-default":
    "Add the column nullable (or with a constant default), backfill in batches, then SET DEFAULT for new rows.",
  // Changes the previous release, still serving during a rolling deploy, cannot survive.
  "ban-drop-column": CONTRACT,
  "ban-drop-table": CONTRACT,
  "renaming-column": `Add the new column, write both, backfill, move reads over; drop the old one later. ${CONTRACT}`,
  "renaming-table": `Create the new table, write both, copy, move reads over; drop the old one later. ${CONTRACT}`,
  // Not a hazard but a certain failure at boot.
  "syntax-error": "Fix the SQL: Postgres would reject it and the boot migration would fail.",
};

/**
 * What the migrator refuses in a pending migration (TRANSACTION_CONTROL, SESSION_CONTROL,
 * CONCURRENTLY), found by its own code (lint/refusals.ts) rather than squawk. db:check reports
 * them in every file as findings of these rules, so that a committed migration applied before
 * adoption can be recorded in the listed waivers like any other finding; the migrator still
 * refuses them while pending, so no inline waiver can name them.
 */
export const REFUSED_RULES: Readonly<Record<string, string>> = {
  "transaction-control":
    "Remove the statement: what must run outside a transaction goes in a migration of its own " +
    `whose first line is \`${NO_TRANSACTION_MARKER}\`, where each statement already commits on its own. ` +
    "The migrator refuses the migration while it is pending.",
  "session-control":
    `Remove it, or, if it is meant, opt in with a line \`${ALLOW_MARKER} <kind>: <why>\` in the ` +
    `file (kinds: ${ALLOWABLE_KINDS.join(", ")}). The migrator refuses the migration while it is pending.`,
  concurrently:
    `Put the statement in ${NO_TRANSACTION} and nothing else that needs a transaction, ` +
    "written to be safe to run again (`CREATE INDEX CONCURRENTLY IF NOT EXISTS`), or use the " +
    "plain form. The migrator refuses the migration while it is pending.",
};

const DOCS = "docs/migrations.md";

/** The section of docs/migrations.md on `rule`: the error code's, for the migrator's refusals. */
export function docsLink(rule: string): string {
  return `${DOCS}#${rule in REFUSED_RULES ? rule.replace("-", "_") : rule}`;
}

/** What to do about a finding of `rule`, with where to read more. */
export function ruleFix(rule: string): string {
  return `${RULES[rule] ?? REFUSED_RULES[rule]} See ${docsLink(rule)}.`;
}
