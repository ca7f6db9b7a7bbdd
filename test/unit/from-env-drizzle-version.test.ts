import { ConfigError, DRIZZLE_VERSION_VARIABLE, fromEnv } from "drizzle-boot-migrator";
import { describe, expect, it } from "vitest";

const url = "postgres://app@db.internal:5432/app";

describe("fromEnv: MIGRATION_DRIZZLE_VERSION", () => {
  it("is the variable the package names for drizzleVersion", () => {
    expect(DRIZZLE_VERSION_VARIABLE).toBe("MIGRATION_DRIZZLE_VERSION");
  });

  it("leaves drizzleVersion to the installed drizzle-orm when unset or empty", () => {
    expect(fromEnv({ DATABASE_URL: url }).drizzleVersion).toBeUndefined();
    expect(
      fromEnv({ DATABASE_URL: url, MIGRATION_DRIZZLE_VERSION: "" }).drizzleVersion,
    ).toBeUndefined();
  });

  it.each(["0.45", "1"] as const)("takes %s", (version) => {
    const settings = fromEnv({ DATABASE_URL: url, MIGRATION_DRIZZLE_VERSION: version });
    expect(settings.drizzleVersion).toBe(version);
  });

  it("lets an override win over the variable", () => {
    const settings = fromEnv(
      { DATABASE_URL: url, MIGRATION_DRIZZLE_VERSION: "1" },
      { drizzleVersion: "0.45" },
    );
    expect(settings.drizzleVersion).toBe("0.45");
  });

  it.each(["1.0", "0.44", "latest", " 1"])(
    "refuses %j, naming the variable and the allowed values",
    (value) => {
      const read = () => fromEnv({ DATABASE_URL: url, MIGRATION_DRIZZLE_VERSION: value });
      expect(read).toThrow(ConfigError);
      expect(read).toThrow(`MIGRATION_DRIZZLE_VERSION must be "0.45" or "1" (got "${value}")`);
    },
  );
});
