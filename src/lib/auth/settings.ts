import { ConfigError, describeVariable, type Env, readEnv } from "@/env";

/** What `createAuth` needs from the environment, checked. */
export interface AuthSettings {
  secret: string;
  /** Undefined outside production when BETTER_AUTH_URL is unset: Better Auth then uses the request's origin. */
  baseURL: string | undefined;
  trustedOrigins: string[];
  /** Rate limiting on (shared database storage) and secure cookies. */
  production: boolean;
  /** Open sign-up at /sign-up; off by default, so every account comes from an invitation. */
  signUpEnabled: boolean;
}

const MIN_SECRET_LENGTH = 32;

/**
 * Used only outside production when BETTER_AUTH_SECRET is unset, so `npm run dev` works out of the
 * box. It is public (it is in this file), which is why production refuses it.
 */
export const DEVELOPMENT_SECRET = "development-only-secret-never-use-in-production";

/**
 * Secrets copied from docs and examples. Better Auth's own default is in the list: it only refuses
 * that one in production, and it accepts short or repetitive secrets with a warning.
 */
const KNOWN_PLACEHOLDER_SECRETS = new Set([
  DEVELOPMENT_SECRET,
  "better-auth-secret-12345678901234567890",
  "better-auth-secret-123456789",
]);
const PLACEHOLDER_WORDS = /change[-_ ]?me|replace[-_ ]?me|placeholder|your[-_ ]?secret|example/i;
/** Far below what `openssl rand -base64 32` gives (about 28 distinct characters). */
const MIN_DISTINCT_SECRET_CHARACTERS = 10;

/** Hosts where plain http is acceptable in production: the browser treats them as secure. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Reads and checks the auth settings. In production it throws `ConfigError` unless
 * BETTER_AUTH_SECRET is strong and BETTER_AUTH_URL is set (https, or http on a loopback host).
 * The server's boot check calls it (`assertServerEnv`); `next build` never does, so a build needs
 * no secrets.
 */
export function authSettingsFromEnv(env: Env = readEnv()): AuthSettings {
  const production = env.NODE_ENV === "production";
  const problems: string[] = [];

  const secret = env.BETTER_AUTH_SECRET ?? (production ? undefined : DEVELOPMENT_SECRET);
  if (production) {
    const secretProblem = describeSecretProblem(secret);
    if (secretProblem) {
      problems.push(
        `BETTER_AUTH_SECRET (${describeVariable("BETTER_AUTH_SECRET")}): ${secretProblem}. ` +
          "Generate one with `openssl rand -base64 32`.",
      );
    }
  }

  const baseURL = env.BETTER_AUTH_URL;
  if (production) {
    const urlProblem = describeBaseUrlProblem(baseURL);
    if (urlProblem) {
      problems.push(`BETTER_AUTH_URL (${describeVariable("BETTER_AUTH_URL")}): ${urlProblem}.`);
    }
  }

  const trustedOrigins = splitList(env.BETTER_AUTH_TRUSTED_ORIGINS);
  for (const origin of trustedOrigins) {
    if (!isOriginPattern(origin)) {
      problems.push(
        `BETTER_AUTH_TRUSTED_ORIGINS: "${origin}" is not an origin ` +
          '(expected scheme://host[:port], e.g. "https://admin.example.com").',
      );
    }
  }

  if (problems.length > 0 || secret === undefined) {
    throw new ConfigError(`Auth settings are invalid:\n  ${problems.join("\n  ")}`);
  }
  return {
    secret,
    baseURL: baseURL === undefined ? undefined : new URL(baseURL).origin,
    trustedOrigins,
    production,
    signUpEnabled: env.SIGN_UP_ENABLED,
  };
}

function describeSecretProblem(secret: string | undefined): string | undefined {
  if (secret === undefined) return "is not set";
  if (KNOWN_PLACEHOLDER_SECRETS.has(secret) || PLACEHOLDER_WORDS.test(secret)) {
    return "is a placeholder from docs or examples";
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    return `has ${secret.length} characters; it needs at least ${MIN_SECRET_LENGTH}`;
  }
  if (new Set(secret).size < MIN_DISTINCT_SECRET_CHARACTERS) {
    return "is too repetitive to be random";
  }
  return undefined;
}

function describeBaseUrlProblem(value: string | undefined): string | undefined {
  if (value === undefined) {
    return "is not set; without it Better Auth trusts whatever Host the request claims";
  }
  const url = new URL(value);
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return `must use https (plain http is accepted only for localhost), got ${url.origin}`;
}

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Better Auth accepts exact origins and wildcard patterns such as `https://*.example.com`. */
function isOriginPattern(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(value);
}
