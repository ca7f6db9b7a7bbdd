import { describe, expect, test } from "vitest";
import { missingMigrationHint } from "@/server/missing-migration";

// The shape drizzle-orm 0.45 throws: DrizzleQueryError (query, params) with postgres.js's
// PostgresError (severity, SQLSTATE in code) as its cause.
function failedQuery(code: string, message: string) {
  const postgres = Object.assign(new Error(message), { severity: "ERROR", code });
  return Object.assign(new Error('Failed query: select "notes" from "tenants"\nparams: '), {
    query: 'select "notes" from "tenants"',
    cause: postgres,
  });
}

describe("the missing-migration hint of next dev", () => {
  test("a missing column or table names the uncaptured migration and the command", () => {
    for (const [code, message] of [
      ["42703", 'column "notes" does not exist'],
      ["42P01", 'relation "reports" does not exist'],
    ] as const) {
      const hint = missingMigrationHint(failedQuery(code, message));

      expect(hint).toContain(`${message} (SQLSTATE ${code})`);
      expect(hint).toContain("no migration has created it");
      expect(hint).toContain("npm run db:generate -- --name <what-changed>");
    }
  });

  test("any other failure gets no hint", () => {
    expect(missingMigrationHint(failedQuery("23505", "duplicate key value"))).toBeUndefined();
    expect(missingMigrationHint(new Error("boom"))).toBeUndefined();
    expect(missingMigrationHint(undefined)).toBeUndefined();
  });
});
