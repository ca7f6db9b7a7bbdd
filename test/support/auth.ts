import { type Auth, createAuth } from "@/lib/auth/create-auth";
import { withBodyLimit } from "@/lib/auth/request-limits";
import type { AuthSettings } from "@/lib/auth/settings";
import { createDbConnection, type DbConnection } from "@/lib/db/client";

export const TEST_BASE_URL = "http://localhost:3000";
export const TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

export interface TestAuth {
  auth: Auth;
  connection: DbConnection;
  /** The app's route handler (body cap, then Better Auth) around this instance. */
  handle: (request: Request) => Promise<Response>;
  close: () => Promise<void>;
}

/** A Better Auth instance on the given database, configured as the app configures its own. */
export function createTestAuth(url: string, settings: Partial<AuthSettings> = {}): TestAuth {
  const connection = createDbConnection({ url, max: 4, applicationName: "auth-tests" });
  const auth = createAuth({
    db: connection.db,
    secret: TEST_SECRET,
    baseURL: TEST_BASE_URL,
    trustedOrigins: [],
    production: false,
    signUpEnabled: true,
    ...settings,
  });
  return {
    auth,
    connection,
    handle: withBodyLimit((request) => auth.handler(request)),
    close: () => connection.close(),
  };
}

let counter = 0;

/** A unique, valid sign-up body; override any field. */
export function newUser(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const id = `${Date.now().toString(36)}-${process.pid}-${counter}`;
  return {
    name: `Test User ${id}`,
    email: `user-${id}@example.com`,
    password: "correct horse battery staple",
    ...overrides,
  };
}

export interface PostOptions {
  origin?: string | null;
  cookie?: string;
  ip?: string;
  headers?: Record<string, string>;
}

/** A browser-like POST to an auth endpoint: JSON body, Origin of the app unless told otherwise. */
export function authPost(path: string, body: unknown, options: PostOptions = {}): Request {
  const headers = new Headers({ "content-type": "application/json", ...options.headers });
  const origin = options.origin === undefined ? TEST_BASE_URL : options.origin;
  if (origin !== null) headers.set("origin", origin);
  if (options.cookie) headers.set("cookie", options.cookie);
  if (options.ip) headers.set("x-forwarded-for", options.ip);
  return new Request(`${TEST_BASE_URL}/api/auth${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
export function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");
}
