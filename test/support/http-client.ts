/**
 * What an attacker's script does: plain HTTP requests with a cookie jar of one, no browser. Every
 * request carries the server's own Origin unless told otherwise (the auth API checks it).
 */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
  /** `null` sends no Origin header. */
  origin?: string | null;
}

export async function request(
  baseUrl: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  const headers = new Headers(options.headers);
  const origin = options.origin === undefined ? baseUrl : options.origin;
  if (origin !== null) headers.set("origin", origin);
  if (options.cookie) headers.set("cookie", options.cookie);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const response = await fetch(new URL(path, baseUrl), {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The `name=value` pairs of an answer's Set-Cookie headers, as a Cookie header. */
export function cookieOf(answer: HttpAnswer): string {
  return answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");
}

export const PASSWORD = "correct horse battery staple";

/** Signs up through the auth API, as the sign-up page does; the session cookie on success. */
export async function signUp(baseUrl: string, email: string, name = "Someone") {
  const answer = await request(baseUrl, "/api/auth/sign-up/email", {
    body: { name, email, password: PASSWORD },
  });
  return { answer, cookie: cookieOf(answer) };
}

export async function signIn(
  baseUrl: string,
  email: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
) {
  const answer = await request(baseUrl, "/api/auth/sign-in/email", {
    body: { email, password },
    headers,
  });
  return { answer, cookie: cookieOf(answer) };
}
