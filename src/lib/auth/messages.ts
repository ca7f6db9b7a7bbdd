import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./input";

export const SIGN_UP_CLOSED_MESSAGE =
  "Accounts are created by invitation only: ask an administrator to invite you.";

/** The shape of an error from the Better Auth client (`{ error }` of a call). */
export interface AuthErrorLike {
  code?: string | undefined;
  message?: string | undefined;
  status?: number | undefined;
}

/**
 * Better Auth's codes for the errors a person can cause on the sign-in and sign-up pages, in
 * words. Codes not listed here come from `./input` or the session hook, whose messages are
 * already written for people, so the server's message is shown.
 */
const MESSAGES: Record<string, string> = {
  USER_ALREADY_EXISTS: "An account with this email already exists. Sign in instead.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL:
    "An account with this email already exists. Sign in instead.",
  INVALID_EMAIL: "That is not a valid email address.",
  INVALID_EMAIL_OR_PASSWORD: "The email or the password is wrong.",
  PASSWORD_TOO_SHORT: `The password is too short: use at least ${PASSWORD_MIN_LENGTH} characters.`,
  PASSWORD_TOO_LONG: `The password is too long: use at most ${PASSWORD_MAX_LENGTH} characters.`,
  INVALID_ORIGIN:
    "This page's address is not the one the server is configured for (BETTER_AUTH_URL).",
};

export function describeAuthError(error: AuthErrorLike): string {
  if (error.status === 429) return "Too many attempts. Wait a few seconds and try again.";
  const known = error.code ? MESSAGES[error.code] : undefined;
  if (known) return known;
  if (error.message) return error.message;
  return "Something went wrong. Try again in a moment.";
}
