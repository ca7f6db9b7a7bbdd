import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "@/env";
import { authSettingsFromEnv, DEVELOPMENT_SECRET } from "@/lib/auth/settings";

const STRONG_SECRET = "kP3v9QzX1tLmN8wR2yB5cJ7hF4dG6sA0uE+iO/=="; // shaped like `openssl rand -base64 32`

function settings(vars: Record<string, string>) {
  return authSettingsFromEnv(parseEnv(vars));
}

function production(vars: Record<string, string> = {}) {
  return settings({
    NODE_ENV: "production",
    BETTER_AUTH_SECRET: STRONG_SECRET,
    BETTER_AUTH_URL: "https://reports.example.com",
    ...vars,
  });
}

describe("auth settings in production", () => {
  it("accept a strong secret and an https base URL, and turn on production behaviour", () => {
    expect(production()).toEqual({
      secret: STRONG_SECRET,
      baseURL: "https://reports.example.com",
      trustedOrigins: [],
      production: true,
      signUpEnabled: false,
    });
  });

  it.each([
    ["no secret", { BETTER_AUTH_SECRET: "" }, /BETTER_AUTH_SECRET .*is not set/],
    [
      "a short secret",
      { BETTER_AUTH_SECRET: "s3cr3t-Value" },
      /12 characters; it needs at least 32/,
    ],
    [
      "Better Auth's default secret",
      { BETTER_AUTH_SECRET: "better-auth-secret-12345678901234567890" },
      /placeholder/,
    ],
    ["the development fallback", { BETTER_AUTH_SECRET: DEVELOPMENT_SECRET }, /placeholder/],
    [
      "a change-me placeholder",
      { BETTER_AUTH_SECRET: "please-change-me-before-deploying-this-app" },
      /placeholder/,
    ],
    [
      "a repetitive secret",
      { BETTER_AUTH_SECRET: "abababababababababababababababababab" },
      /repetitive/,
    ],
    ["no base URL", { BETTER_AUTH_URL: "" }, /BETTER_AUTH_URL .*is not set/],
    ["a plain-http base URL", { BETTER_AUTH_URL: "http://reports.example.com" }, /must use https/],
    [
      "a trusted origin that is not an origin",
      { BETTER_AUTH_TRUSTED_ORIGINS: "admin.example.com" },
      /"admin.example.com" is not an origin/,
    ],
  ])("refuse %s, naming the variable", (_label, vars, message) => {
    expect(() => production(vars)).toThrow(ConfigError);
    expect(() => production(vars)).toThrow(message);
  });

  it("allow plain http on localhost (the e2e run) and parse the lists", () => {
    expect(
      production({
        BETTER_AUTH_URL: "http://localhost:3100/",
        BETTER_AUTH_TRUSTED_ORIGINS: "https://admin.example.com, https://*.example.org",
      }),
    ).toMatchObject({
      baseURL: "http://localhost:3100",
      trustedOrigins: ["https://admin.example.com", "https://*.example.org"],
    });
  });

  it("report every problem at once", () => {
    expect(() => production({ BETTER_AUTH_SECRET: "", BETTER_AUTH_URL: "" })).toThrow(
      /BETTER_AUTH_SECRET[\s\S]*BETTER_AUTH_URL/,
    );
  });
});

describe("auth settings outside production", () => {
  it("need nothing: a development secret, and the base URL from the request", () => {
    expect(settings({ NODE_ENV: "development" })).toEqual({
      secret: DEVELOPMENT_SECRET,
      baseURL: undefined,
      trustedOrigins: [],
      production: false,
      signUpEnabled: false,
    });
  });

  it("open sign-up only when SIGN_UP_ENABLED says so", () => {
    expect(settings({ SIGN_UP_ENABLED: "true" }).signUpEnabled).toBe(true);
  });
});
