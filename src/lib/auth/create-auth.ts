import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { betterAuth } from "better-auth/minimal";
import { nextCookies } from "better-auth/next-js";
import type { Database } from "@/lib/db/client";
import {
  accounts,
  rateLimits,
  sessions,
  USER_STATUSES,
  users,
  verifications,
} from "@/lib/db/schema";
import {
  ACCOUNT_FAILURE_LIMIT,
  ACCOUNT_WINDOW_MINUTES,
  accountKey,
  countAttempt,
  discountAttempt,
} from "./account-limit";
import { hasClientAddress } from "./client-address";
import { AUTH_BODY_CHECKS, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./input";
import {
  isKnownBrowser,
  KNOWN_BROWSER_COOKIE,
  KNOWN_BROWSER_MAX_AGE_SECONDS,
  knownBrowserStamp,
} from "./known-browser";
import { SIGN_UP_CLOSED_MESSAGE } from "./messages";
import type { AuthSettings } from "./settings";

export interface CreateAuthOptions extends AuthSettings {
  db: Database;
}

const ACCOUNT_NOT_ACTIVE = "ACCOUNT_NOT_ACTIVE";

const SIGN_UP_CLOSED = {
  code: "SIGN_UP_CLOSED",
  message: SIGN_UP_CLOSED_MESSAGE,
};

const ACCOUNT_LIMITED = {
  code: "ACCOUNT_SIGN_IN_LIMITED",
  message:
    `This account had ${ACCOUNT_FAILURE_LIMIT} failed sign-ins within ${ACCOUNT_WINDOW_MINUTES} ` +
    "minutes. Sign in from a browser you have used before, or wait and try again.",
};

const NOT_ACTIVE_MESSAGES: Record<string, string> = {
  invited:
    "This account has been invited but not activated yet: open the link in your invitation email.",
  suspended: "This account is suspended: ask an agency administrator to reactivate it.",
};

/**
 * Better Auth over the project's schema. The app's instance is `getAuth()` in `@/lib/auth`; tests
 * call this with their own database and settings.
 */
export function createAuth({ db, ...settings }: CreateAuthOptions) {
  const auth = betterAuth({
    appName: "Agency Reporting",
    secret: settings.secret,
    baseURL: settings.baseURL,
    trustedOrigins: settings.trustedOrigins,
    // `better-auth/minimal` leaves Kysely out of the bundle; the Drizzle adapter needs none of it.
    database: drizzleAdapter(db, {
      provider: "pg",
      usePlural: true,
      schema: { users, sessions, accounts, verifications, rateLimits },
      // A user row never exists without its credential account row.
      transaction: true,
    }),
    emailAndPassword: {
      enabled: true,
      // The hook below answers first, with a sentence; this keeps sign-up closed for any path.
      disableSignUp: !settings.signUpEnabled,
      minPasswordLength: PASSWORD_MIN_LENGTH,
      maxPasswordLength: PASSWORD_MAX_LENGTH,
    },
    user: {
      additionalFields: {
        status: {
          type: [...USER_STATUSES],
          required: true,
          defaultValue: "active",
          input: false,
        },
        inviteToken: { type: "string", required: false, input: false, returned: false },
        inviteExpiresAt: { type: "date", required: false, input: false },
      },
    },
    databaseHooks: {
      session: {
        create: {
          // Every way of getting a session (sign-in, sign-up, future providers) passes here. The
          // lookup goes through Better Auth's internal adapter so that, inside sign-up's
          // transaction, it sees the user row that is not committed yet.
          before: async (session) => {
            const context = await auth.$context;
            const user = await context.internalAdapter.findUserById(session.userId);
            const status = (user as { status?: string } | null)?.status;
            if (status !== "active") {
              throw new APIError("FORBIDDEN", {
                code: ACCOUNT_NOT_ACTIVE,
                message:
                  NOT_ACTIVE_MESSAGES[status ?? ""] ??
                  "This account is not active, so it cannot sign in.",
              });
            }
          },
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-up/email" && !settings.signUpEnabled) {
          throw new APIError("FORBIDDEN", SIGN_UP_CLOSED);
        }
        const check = AUTH_BODY_CHECKS[ctx.path];
        const problem = check?.(ctx.body);
        if (problem) throw new APIError("BAD_REQUEST", problem);
        if (ctx.path === "/sign-in/email") {
          // Counted before the password is checked, so concurrent guesses cannot all pass
          // (account-limit.ts). A known browser's tries count too, but it is never held back.
          const attempts = await countAttempt(db, accountKey(ctx.body.email));
          if (attempts > ACCOUNT_FAILURE_LIMIT) {
            const cookie = ctx.context.createAuthCookie(KNOWN_BROWSER_COOKIE);
            const stamp = ctx.getCookie(cookie.name);
            if (!(await isKnownBrowser(db, settings.secret, ctx.body.email, stamp))) {
              throw new APIError("TOO_MANY_REQUESTS", ACCOUNT_LIMITED);
            }
          }
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        // Signing up proves the password as much as signing in: both make the browser known, and
        // so does changing it, which ends every other browser's exemption (known-browser.ts).
        const email = provenEmail(ctx.path, ctx.body, ctx.context.newSession, ctx.context.returned);
        if (email === undefined) return;
        const stamp = await knownBrowserStamp(db, settings.secret, email);
        if (stamp !== undefined) {
          const cookie = ctx.context.createAuthCookie(KNOWN_BROWSER_COOKIE, {
            maxAge: KNOWN_BROWSER_MAX_AGE_SECONDS,
          });
          ctx.setCookie(cookie.name, stamp, cookie.attributes);
        }
        // The attempt counted in `before` was not a failure.
        if (ctx.path === "/sign-in/email") await discountAttempt(db, accountKey(email));
      }),
    },
    rateLimit: {
      // Counted in the rate_limits table, so every replica and serverless instance shares the
      // counts (memory storage would give each process its own). Sign-in and sign-up keep
      // Better Auth's stricter built-in rule: 3 requests per 10 s per IP.
      enabled: settings.production,
      storage: "database",
      // A request without a client address gets no per-address bucket: Better Auth would put
      // all of them in one, which a single client could fill to lock every user out
      // (docs/security.md). The per-account limit in `hooks.before` still applies.
      customRules: {
        "/**": (request, current) => (hasClientAddress(request) ? current : false),
      },
    },
    logger: { log: logUnlessAboutSharedBucket },
    advanced: {
      database: { generateId: "uuid" },
      useSecureCookies: settings.production,
      // Better Auth turns both checks off when NODE_ENV=test; they stay on everywhere here, so
      // the tests exercise what production runs.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      // X-Forwarded-For holds exactly one address, resolved from the socket and the trusted
      // proxies before Next saw the request (./client-address.ts): Better Auth takes it as is.
      ipAddress: { ipAddressHeaders: ["x-forwarded-for"] },
    },
    telemetry: { enabled: false },
    // Must stay last: it copies the cookies other plugins set onto Next's response.
    plugins: [nextCookies()],
  });
  return auth;
}

export type Auth = ReturnType<typeof createAuth>;

/**
 * The email a request just proved the password of: a sign-in or sign-up that made a session, or
 * a password change that succeeded (it answers with the user).
 */
function provenEmail(
  path: string,
  body: { email?: unknown } | undefined,
  newSession: unknown,
  returned: unknown,
): string | undefined {
  if ((path === "/sign-in/email" || path === "/sign-up/email") && newSession) {
    return typeof body?.email === "string" ? body.email : undefined;
  }
  if (path === "/change-password") {
    const user = (returned as { user?: { email?: unknown } } | null | undefined)?.user;
    return typeof user?.email === "string" ? user.email : undefined;
  }
  return undefined;
}

/**
 * Better Auth's log, as it prints it, without its warning that requests with no client address
 * share one bucket: here they get none (`customRules` above), and client-address.ts says so.
 */
function logUnlessAboutSharedBucket(
  level: "debug" | "info" | "warn" | "error",
  message: string,
  ...args: unknown[]
): void {
  if (message.startsWith("Rate limiting could not determine a client IP")) return;
  const write = level === "error" ? console.error : level === "warn" ? console.warn : console.log;
  write(`[Better Auth]: ${message}`, ...args);
}
