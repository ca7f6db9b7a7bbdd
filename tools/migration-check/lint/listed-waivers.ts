import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Waivers for committed migrations. A committed migration cannot carry a new inline waiver:
 * editing the file changes its checksum, which every database that applied it refuses
 * (CHECKSUM_MISMATCH). An entry of the list names the file and the statement by the hash db:check
 * prints with the finding (`[statement <hash>]`), so it excuses that statement only and stops
 * matching if the text changes. The list is a JSON file, reviewed like code, which
 * `npm run db:check -- --adopt` also writes (adopt.ts); see docs/migrations.md ("Waivers").
 */
export interface ListedWaiver {
  /** The file name in drizzle/, e.g. `0003_drop-legacy-name.sql`. */
  file: string;
  /** The hash db:check prints for the statement. */
  statement: string;
  rules: string[];
  reason: string;
}

/** Where the list is, relative to the project root. Absent means empty. */
export const LISTED_AT = "tools/migration-check/lint/listed-waivers.json";

const isWaiver = (entry: unknown): entry is ListedWaiver => {
  const { file, statement, rules, reason } = (entry ?? {}) as Record<string, unknown>;
  return (
    typeof file === "string" &&
    typeof statement === "string" &&
    typeof reason === "string" &&
    Array.isArray(rules) &&
    rules.every((rule) => typeof rule === "string")
  );
};

/** The list of the project at `root`; throws, naming the entry, when it is not one. */
export function readListedWaivers(root: string): ListedWaiver[] {
  const file = path.join(root, LISTED_AT);
  if (!existsSync(file)) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${LISTED_AT} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error(`${LISTED_AT} must hold a JSON array of waivers.`);
  const wrong = entries.findIndex((entry) => !isWaiver(entry));
  if (wrong !== -1) {
    throw new Error(
      `${LISTED_AT}: entry ${wrong} is not { "file", "statement", "rules": [...], "reason" }: ` +
        JSON.stringify(entries[wrong]),
    );
  }
  return entries;
}

/** Writes the list of the project at `root`, laid out as biome formats JSON (rules on one line). */
export function writeListedWaivers(root: string, waivers: readonly ListedWaiver[]): void {
  const file = path.join(root, LISTED_AT);
  const json = JSON.stringify;
  const entries = waivers.map(
    ({ file, statement, rules, reason }) =>
      `  {\n    "file": ${json(file)},\n    "statement": ${json(statement)},\n` +
      `    "rules": [${rules.map((rule) => json(rule)).join(", ")}],\n    "reason": ${json(reason)}\n  }`,
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, entries.length === 0 ? "[]\n" : `[\n${entries.join(",\n")}\n]\n`);
}
