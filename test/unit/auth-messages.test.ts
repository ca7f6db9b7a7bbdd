import { describe, expect, it } from "vitest";
import { describeAuthError } from "@/lib/auth/messages";

describe("auth errors in words", () => {
  it.each([
    [{ status: 422, code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" }, /already exists/],
    [{ status: 400, code: "PASSWORD_TOO_SHORT" }, /at least 8 characters/],
    [{ status: 400, code: "INVALID_EMAIL" }, /not a valid email/],
    [{ status: 401, code: "INVALID_EMAIL_OR_PASSWORD" }, /email or the password is wrong/],
    [{ status: 429, message: "Too many requests. Please try again later." }, /Too many attempts/],
  ])("%o", (error, words) => {
    expect(describeAuthError(error)).toMatch(words);
  });

  it("shows the server's own sentence for the app's codes (account not active, bad fields)", () => {
    const message = "This account is suspended: ask an agency administrator to reactivate it.";
    expect(describeAuthError({ status: 403, code: "ACCOUNT_NOT_ACTIVE", message })).toBe(message);
  });

  it("never shows nothing", () => {
    expect(describeAuthError({ status: 500 })).toMatch(/Something went wrong/);
  });
});
