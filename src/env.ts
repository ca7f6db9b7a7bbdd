import { z } from "zod";

/**
 * The one reader of `process.env`. Every variable the project uses is declared here with what it
 * is for; `docs/configuration.md` mirrors this list. Parsing is lazy so that `next build`, which
 * evaluates modules, needs neither a database nor secrets; the server and each CLI call
 * `readEnv()` (or a `require*` helper) at start and stop with a message naming the variable.
 */

/**
 * A bad environment. It carries the migrator package's mark of a configuration error, so that the
 * package's failure reports (code CONFIG, exit 2) cover it; marked rather than imported, because
 * next.config.ts loads this module with a loader that cannot resolve the workspace package.
 */
const CONFIG_ERROR_MARK = Symbol.for("drizzle-boot-migrator.ConfigError");

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly [CONFIG_ERROR_MARK] = true;
}

const postgresUrl = z
  .string()
  .refine(
    (value) => /^postgres(ql)?:\/\/.+/.test(value) && URL.canParse(value),
    "must be a postgres:// or postgresql:// URL",
  );

const flag = (defaultValue: boolean) =>
  z
    .enum(["true", "false", "1", "0"], { message: 'must be "true" or "false"' })
    .default(defaultValue ? "true" : "false")
    .transform((value) => value === "true" || value === "1");

/** How the boot and the migrator print their log (the migrator package's `createLog` renders both). */
const LOG_FORMATS = ["human", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const milliseconds = (defaultValue: number) => z.coerce.number().int().min(0).default(defaultValue);
const count = (defaultValue: number) => z.coerce.number().int().min(0).default(defaultValue);

/** `npm run dev` moves its data elsewhere only when this default is unusable (see database-source). */
export const DEFAULT_DEV_DATABASE_DIR = ".data/dev-postgres";
/** `npm run dev`'s port unless DEV_DATABASE_PORT is set; when taken, another is picked and kept. */
export const DEFAULT_DEV_DATABASE_PORT = 54_329;

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),

  DATABASE_URL: postgresUrl
    .optional()
    .describe("the Postgres connection string of the app (its pooled connections)"),
  DATABASE_POOL_MAX: count(10).describe("the app's postgres.js pool size per process"),
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(5_000).describe(
    "how long the app's pool waits for a new database connection before failing the request",
  ),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(10_000).describe(
    "how long the app waits for any one statement (or for a pooled connection) before " +
      "cancelling it and failing the request",
  ),
  DATABASE_POOLER: z
    .enum(["transaction", "session", "none"])
    .optional()
    .describe(
      "what DATABASE_URL goes through: session or none (no transaction pooler: the app's pool " +
        "may prepare statements), transaction; unset: treated as a possible transaction pooler",
    ),

  MIGRATIONS_DATABASE_URL: postgresUrl
    .optional()
    .describe("a direct (non-pooled) Postgres URL used only to apply migrations"),
  DATABASE_URL_UNPOOLED: postgresUrl
    .optional()
    .describe("a direct Postgres URL (Neon/Vercel name), used for migrations when set"),
  POSTGRES_URL_NON_POOLING: postgresUrl
    .optional()
    .describe(
      "a direct Postgres URL (Vercel Postgres/Supabase name), used for migrations when set",
    ),
  MIGRATE_ON_BOOT: flag(true).describe("whether the server applies pending migrations at start"),
  MIGRATION_LOCK_WAIT_MS: milliseconds(120_000).describe(
    "how long a booting server waits for another instance's migration lock",
  ),
  MIGRATION_LOCK_TIMEOUT_MS: milliseconds(5_000).describe(
    "Postgres lock_timeout for migration statements, so DDL never queues behind long transactions",
  ),
  MIGRATION_LOCK_TIMEOUT_RETRIES: count(5).describe(
    "how many times a migration that hit lock_timeout is retried",
  ),
  MIGRATION_STATEMENT_TIMEOUT_MS: milliseconds(300_000).describe(
    "Postgres statement_timeout for migration statements",
  ),
  MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds(30_000).describe(
    "Postgres idle_in_transaction_session_timeout of the migration transaction: a migrator that " +
      "stops answering (paused, frozen) loses its transaction and lock after this long",
  ),
  MIGRATION_IDLE_SESSION_TIMEOUT_MS: milliseconds(30_000).describe(
    "Postgres idle_session_timeout of the migrator's session while it runs a -- no-transaction " +
      "migration: a migrator that stops answering between its statements loses its session and lock " +
      "after this long",
  ),
  MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS: milliseconds(3_600_000).describe(
    "Postgres statement_timeout for the statements of a -- no-transaction migration (index builds)",
  ),
  MIGRATION_CONNECT_WAIT_MS: milliseconds(30_000).describe(
    "how long the migrator retries an unreachable database before failing",
  ),
  MIGRATION_ALLOW_UNKNOWN_APPLIED: flag(false).describe(
    "whether the migrator accepts a database that records migrations this build does not have",
  ),

  LOG_FORMAT: z
    .enum(LOG_FORMATS, { message: 'must be "human" or "json"' })
    .default("human")
    .describe("how the boot and the migrator print their log: human-readable lines or JSON"),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .optional()
    .describe("an OTLP/HTTP collector: when set, the server exports traces to it"),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url()
    .optional()
    .describe("an OTLP/HTTP URL for traces only (the full path, e.g. …/v1/traces)"),
  VERCEL_OTEL_ENDPOINTS: z
    .string()
    .optional()
    .describe("set by Vercel when a tracing integration is on: the server then exports to it"),
  OTEL_SERVICE_NAME: z
    .string()
    .default("agency-reporting")
    .describe("the service name the server's traces carry"),

  VERCEL: flag(false).describe(
    "set to 1 by Vercel in its builds and functions: the server then only checks migrations " +
      "(the build step applies them) and answers 503 instead of exiting when they are not applied",
  ),
  HEALTH_TOKEN: z
    .string()
    .min(24, "must be at least 24 characters (e.g. openssl rand -hex 24)")
    .optional()
    .describe(
      "a bearer token that lets a caller of /api/health see the details (version, pending " +
        "migrations, failure) outside development; unset: anonymous callers get the status alone",
    ),

  TEST_DATABASE_URL: postgresUrl
    .optional()
    .describe("a Postgres server for the tests; each test file gets its own database on it"),
  DEV_DATABASE_DIR: z
    .string()
    .default(DEFAULT_DEV_DATABASE_DIR)
    .describe("where `npm run dev` keeps its embedded Postgres data"),
  DEV_DATABASE_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65_535)
    .optional()
    .describe(
      "the port of the embedded Postgres of `npm run dev` (unset: 54329, or a free port kept " +
        "for the data directory when 54329 is taken)",
    ),
  E2E_BASE_URL: z
    .url()
    .optional()
    .describe(
      "an already-deployed server for `npm run test:e2e` to test instead of building its own",
    ),
  E2E_DATABASE_URL: postgresUrl
    .optional()
    .describe("that deployed server's database, so the e2e tests check the rows in Postgres"),
  DOCKER_HOST: z
    .string()
    .optional()
    .describe("a container runtime's address; tests then try a Postgres container first"),

  BETTER_AUTH_SECRET: z
    .string()
    .optional()
    .describe("the secret Better Auth signs sessions with (32+ characters)"),
  BETTER_AUTH_URL: z
    .url()
    .optional()
    .describe("the public base URL of the app, e.g. https://reports.example.com"),
  BETTER_AUTH_TRUSTED_ORIGINS: z
    .string()
    .optional()
    .describe("comma-separated extra origins allowed to call the auth API"),
  BETTER_AUTH_TRUSTED_PROXIES: z
    .string()
    .optional()
    .describe(
      "comma-separated IPs/CIDRs of your reverse proxies, so rate limiting sees the client's IP " +
        "in X-Forwarded-For",
    ),

  CLIENT_IP_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be a header name, e.g. cf-connecting-ip")
    .optional()
    .describe(
      "a header your platform's edge sets to the client's address (clients cannot set it), used " +
        "instead of the socket address for rate limiting",
    ),
  SIGN_UP_ENABLED: flag(false).describe(
    "whether anyone may create an account at /sign-up (otherwise accounts come from invitations)",
  ),

  INVITE_TTL_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(90)
    .default(7)
    .describe("how many days an invitation link stays valid (1 to 90)"),
});

export type Env = z.infer<typeof schema>;
export type EnvName = keyof Env;

/** Every variable, in declaration order; docs/configuration.md and .env.example list them all. */
export const ENV_NAMES = Object.keys(schema.shape) as EnvName[];

/** What a variable is for, as written in the schema; used in error messages. */
export function describeVariable(name: EnvName): string {
  return schema.shape[name].description ?? name;
}

type Source = Record<string, string | undefined>;

/** Empty strings count as unset: `.env` files and CI systems often export `FOO=`. */
function withoutEmptyValues(source: Source): Source {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
}

export function parseEnv(source: Source): Env {
  const result = schema.safeParse(withoutEmptyValues(source));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]) as EnvName;
    return `  ${name} (${describeVariable(name)}): ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
}

/**
 * LOG_FORMAT on its own, "human" when it is invalid: the boot reads it before validating the
 * rest, so that its report of a bad environment is written in the format the pipeline expects.
 */
export function readLogFormat(source: Source = process.env): LogFormat {
  const parsed = schema.shape.LOG_FORMAT.safeParse(withoutEmptyValues(source).LOG_FORMAT);
  return parsed.success ? parsed.data : "human";
}

let cached: Env | undefined;

/** The validated `process.env`, parsed once per process. */
export function readEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** A variable that must be set for the caller to work; the error says what it is for. */
export function requireEnv<Name extends EnvName>(
  name: Name,
  env: Env = readEnv(),
): NonNullable<Env[Name]> {
  const value = env[name];
  if (value === undefined || value === null) {
    throw new ConfigError(`${name} is not set: it is ${describeVariable(name)}.`);
  }
  return value as NonNullable<Env[Name]>;
}

/** Where links the app hands out point when BETTER_AUTH_URL is unset: `next dev`'s default. */
const DEVELOPMENT_APP_URL = "http://localhost:3000";

/**
 * The origin of links the app hands out (invitations): BETTER_AUTH_URL, which browsers must use
 * anyway (Better Auth checks the Origin header against it). Outside production it defaults to
 * `DEVELOPMENT_APP_URL`; in production a link to localhost would be useless, so it is required.
 */
export function appBaseUrl(env: Env = readEnv()): string {
  const url =
    env.NODE_ENV === "production"
      ? requireEnv("BETTER_AUTH_URL", env)
      : (env.BETTER_AUTH_URL ?? DEVELOPMENT_APP_URL);
  return new URL(url).origin;
}
