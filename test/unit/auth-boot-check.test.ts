import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/env";
import { assertServerEnv } from "@/server/server-env";

const DATABASE_URL = "postgres://app@db.internal:5432/app";

describe("the server's boot check includes the auth settings", () => {
  it("refuses a production server without BETTER_AUTH_SECRET and BETTER_AUTH_URL", () => {
    const env = parseEnv({ NODE_ENV: "production", DATABASE_URL });
    expect(() => assertServerEnv(env)).toThrow(ConfigError);
    expect(() => assertServerEnv(env)).toThrow(/BETTER_AUTH_SECRET[\s\S]*BETTER_AUTH_URL/);
  });

  it("accepts a production server with both", () => {
    const env = parseEnv({
      NODE_ENV: "production",
      DATABASE_URL,
      BETTER_AUTH_SECRET: "Zx8Qw3Lp0Vt6Hn2Ks9Bm4Rc7Yd1Gf5Je",
      BETTER_AUTH_URL: "https://reports.example.com",
    });
    expect(assertServerEnv(env)).toBe(env);
  });

  it("needs neither outside production", () => {
    const env = parseEnv({ NODE_ENV: "development", DATABASE_URL });
    expect(assertServerEnv(env)).toBe(env);
  });
});
