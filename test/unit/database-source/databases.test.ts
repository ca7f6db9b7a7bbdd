import { databaseUrl, uniqueDatabaseName } from "@tools/database-source/databases";
import { describe, expect, it } from "vitest";

describe("databaseUrl", () => {
  it("swaps only the database, keeping credentials, host and options", () => {
    expect(
      databaseUrl("postgres://postgres:s3cret@127.0.0.1:54329/postgres?sslmode=disable", "app_db"),
    ).toBe("postgres://postgres:s3cret@127.0.0.1:54329/app_db?sslmode=disable");
  });

  it("refuses a name that would need quoting", () => {
    expect(() => databaseUrl("postgres://h/postgres", 'x"; drop')).toThrow(/not a usable/);
  });
});

describe("uniqueDatabaseName", () => {
  it("gives a different valid name on every call", () => {
    const names = new Set(Array.from({ length: 50 }, () => uniqueDatabaseName("test")));
    expect(names.size).toBe(50);
    for (const name of names) expect(name).toMatch(/^test_[a-z0-9_]+$/);
  });
});
