import { utimes } from "node:fs/promises";
import { watchDatabaseDrift } from "@tools/verify/dev-watch";
import { journalPath } from "drizzle-boot-migrator/folder";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  applyMigrations,
  createTestDatabase,
  migratorSettingsFor,
  type TestDatabase,
} from "../support/database";
import { eventually, withSql } from "../support/migrator";
import { setOf, verifyFixtureFolder } from "../support/verify";

// `npm run dev` runs db:verify on the dev database at start and after each change of drizzle/,
// and prints drift with the way out (`npm run db:reset`).

let database: TestDatabase | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await database?.drop();
});

describe("the dev loop's database check", () => {
  it("prints drift found in the dev database with the db:reset advice, and when it matches again", async () => {
    database = await createTestDatabase();
    const folder = verifyFixtureFolder();
    await applyMigrations(database.url, folder);
    await withSql(database.url, (sql) => sql`alter table accounts add column nickname text`);
    const lines: string[] = [];

    stop = watchDatabaseDrift({
      settings: migratorSettingsFor(database.url, folder),
      sets: setOf(folder),
      scratchUrl: inject("adminDatabaseUrl"),
      log: (text) => lines.push(text),
    });

    const said = () => lines.join("\n");
    await eventually("the check printed its advice", async () => /db:reset/.test(said()), 60_000);
    expect(said()).toMatch(/\[verify\] the dev database is not what its applied migrations build/);
    expect(said()).toMatch(
      /\[verify\] column public\.accounts\.nickname\n\[verify\] {3}✗ extra column/,
    );

    // Repaired by hand; a change of the folder (a save, a branch switch) checks again.
    await withSql(database.url, (sql) => sql`alter table accounts drop column nickname`);
    const now = new Date();
    await utimes(journalPath(folder), now, now);
    await eventually(
      "the check saw the repair",
      async () => /matches .* again/.test(said()),
      60_000,
    );
    expect(lines.at(-1)).toBe("[verify] the dev database matches its applied migrations again");
  });
});
