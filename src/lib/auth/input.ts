import { z } from "zod";

/**
 * Strict checks of the bodies of Better Auth's sign-up and sign-in endpoints, run as a
 * `hooks.before` (see `createAuth`). Better Auth on its own ignores unknown fields, silently
 * replaces `status` with its default, and reports a missing name as a schema dump; here every
 * such body gets a 400 with a code and a sentence, before anything touches the database.
 */

export const PASSWORD_MIN_LENGTH = 8;
/** scrypt hashes whatever it gets; a cap keeps one request from costing seconds of CPU. */
export const PASSWORD_MAX_LENGTH = 128;
export const NAME_MAX_LENGTH = 100;
/** RFC 5321's limit for a forward path. */
export const EMAIL_MAX_LENGTH = 254;
const URL_MAX_LENGTH = 2048;

/** User columns only the server writes (invitations, suspension); a client sending one is refused. */
const SERVER_ONLY_USER_FIELDS = [
  "status",
  "inviteToken",
  "inviteExpiresAt",
  "emailVerified",
  "id",
  "createdAt",
  "updatedAt",
] as const;

interface InputProblem {
  code: string;
  message: string;
}

// The same rule Better Auth applies after this check, so the two never disagree.
const email = z.string().max(EMAIL_MAX_LENGTH).pipe(z.email());

const password = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);

const signUpBody = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX_LENGTH),
  email,
  password,
  image: z.string().max(URL_MAX_LENGTH).optional(),
  callbackURL: z.string().max(URL_MAX_LENGTH).optional(),
  rememberMe: z.boolean().optional(),
});

const signInBody = z.strictObject({
  email,
  // No minimum here: a too-short password is simply wrong, and saying so would hint at the policy.
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  callbackURL: z.string().max(URL_MAX_LENGTH).optional(),
  rememberMe: z.boolean().optional(),
});

function checkSignUpBody(body: unknown): InputProblem | undefined {
  if (isPlainObject(body)) {
    const forbidden = SERVER_ONLY_USER_FIELDS.find((field) => Object.hasOwn(body, field));
    if (forbidden) {
      return {
        code: "FIELD_NOT_ALLOWED",
        message: `${forbidden} is set by the server and cannot be sent at sign-up.`,
      };
    }
  }
  return firstProblem(signUpBody, body);
}

function checkSignInBody(body: unknown): InputProblem | undefined {
  return firstProblem(signInBody, body);
}

/** The endpoints whose bodies are checked, by Better Auth path. */
export const AUTH_BODY_CHECKS: Record<string, (body: unknown) => InputProblem | undefined> = {
  "/sign-up/email": checkSignUpBody,
  "/sign-in/email": checkSignInBody,
};

function firstProblem(schema: z.ZodType, body: unknown): InputProblem | undefined {
  if (!isPlainObject(body)) {
    return { code: "INVALID_BODY", message: "The request body must be a JSON object." };
  }
  const result = schema.safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue ? describeIssue(issue, body) : undefined;
}

function describeIssue(issue: z.core.$ZodIssue, body: Record<string, unknown>): InputProblem {
  if (issue.code === "unrecognized_keys") {
    return {
      code: "UNKNOWN_FIELD",
      message: `Unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}.`,
    };
  }
  const field = String(issue.path[0] ?? "body");
  if (body[field] === undefined) {
    return { code: "MISSING_FIELD", message: `${field} is required.` };
  }
  if (issue.code === "invalid_type") {
    return { code: "INVALID_FIELD", message: `${field} must be a ${issue.expected}.` };
  }
  switch (field) {
    case "email":
      return { code: "INVALID_EMAIL", message: "That is not a valid email address." };
    case "password":
      if (issue.code === "too_small") {
        return {
          code: "PASSWORD_TOO_SHORT",
          message: `The password is too short: use at least ${PASSWORD_MIN_LENGTH} characters.`,
        };
      }
      return {
        code: "PASSWORD_TOO_LONG",
        message: `The password is too long: use at most ${PASSWORD_MAX_LENGTH} characters.`,
      };
    case "name":
      return {
        code: "INVALID_NAME",
        message: `Enter a name of 1 to ${NAME_MAX_LENGTH} characters.`,
      };
    default:
      return { code: "INVALID_FIELD", message: `${field}: ${issue.message}` };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
