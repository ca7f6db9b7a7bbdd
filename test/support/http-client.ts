import http from "node:http";

/**
 * What an attacker's script does: plain HTTP requests (Node's own client), no browser. Every
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
  /**
   * The local address the connection comes from: any of 127.0.0.0/8 reaches a server on
   * 127.0.0.1, so a test can be several clients the server tells apart by their sockets.
   */
  from?: string;
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
  return send(new URL(path, baseUrl), {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    from: options.from,
  });
}

function send(
  url: URL,
  options: { method: string; headers: Headers; body: string | undefined; from: string | undefined },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      {
        method: options.method,
        headers: Object.fromEntries(options.headers),
        localAddress: options.from,
        timeout: 30_000,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", reject);
        incoming.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? ""]) {
              headers.append(name, item);
            }
          }
          resolve({
            status: incoming.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`${url} did not answer in 30 s`)));
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
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
  credentials: { email: string; password?: string },
  options: RequestOptions = {},
) {
  const answer = await request(baseUrl, "/api/auth/sign-in/email", {
    ...options,
    body: { email: credentials.email, password: credentials.password ?? PASSWORD },
  });
  return { answer, cookie: cookieOf(answer) };
}
