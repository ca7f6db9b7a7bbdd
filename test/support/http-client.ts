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

let nextLoopbackAddress = 10;
/**
 * A loopback address no other request of this test file has come from (`from`): a client of its
 * own, with a fresh budget under the server's per-address limits.
 */
export const freshLoopbackAddress = () => `127.0.0.${nextLoopbackAddress++}`;

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
export async function signUp(
  baseUrl: string,
  email: string,
  name = "Someone",
  options: RequestOptions = {},
) {
  const answer = await request(baseUrl, "/api/auth/sign-up/email", {
    ...options,
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

/**
 * Submits the form of the page at `path` that holds the field with id `fieldId`, the way a
 * browser without JavaScript does (and an attacker with curl can): GET the page, keep the form's
 * hidden inputs, add `fields` (what a person types or picks in the visible ones), and POST it as
 * multipart/form-data to the form's action (the page itself when empty). React's server render
 * of a server action's form has hidden inputs (`$ACTION_REF_…`, `$ACTION_…:0` with the action's
 * id and bound state, `$ACTION_KEY`) so that it works without JavaScript; Next runs the action
 * and answers with the page rendered again, the action's answer in it.
 */
export async function submitForm(
  baseUrl: string,
  path: string,
  form: { cookie?: string; fieldId: string; fields: Record<string, string> },
): Promise<HttpAnswer> {
  return (await readForm(baseUrl, path, form)).post(form.fields);
}

/**
 * `submitForm` in two steps: the page's form read once, then posted as often as needed (each post
 * runs the server action again, as a second click would).
 */
export async function readForm(
  baseUrl: string,
  path: string,
  form: { cookie?: string; fieldId: string },
): Promise<{
  post(fields: Record<string, string>, options?: RequestOptions): Promise<HttpAnswer>;
}> {
  const page = await request(baseUrl, path, { cookie: form.cookie });
  if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
  const html = page.body
    .match(/<form[\s>][\s\S]*?<\/form>/g)
    ?.find((candidate) => candidate.includes(`id="${form.fieldId}"`));
  if (!html) throw new Error(`no form on ${path} holds a field with id "${form.fieldId}"`);
  const hidden: [string, string][] = [];
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const { type, name, value } = attributesOf(tag);
    if (type === "hidden" && name !== undefined) hidden.push([name, value ?? ""]);
  }
  const action = attributesOf(/<form[^>]*>/.exec(html)?.[0] ?? "").action || path;
  return {
    async post(fields, options = {}) {
      const data = new FormData();
      for (const [name, value] of hidden) data.append(name, value);
      for (const [name, value] of Object.entries(fields)) data.set(name, value);
      // A Response encodes FormData as a browser does: multipart/form-data with a fresh boundary.
      const encoded = new Response(data);
      return request(baseUrl, new URL(action, new URL(path, baseUrl)).href, {
        ...options,
        method: "POST",
        cookie: form.cookie,
        headers: {
          ...options.headers,
          "content-type": encoded.headers.get("content-type") ?? "",
        },
        body: await encoded.text(),
      });
    },
  };
}

/** The `name="value"` attributes of an HTML start tag, values unescaped. */
function attributesOf(tag: string): Record<string, string | undefined> {
  const pairs = tag.matchAll(/([^\s"'<>/=]+)="([^"]*)"/g);
  return Object.fromEntries([...pairs].map(([, name, value]) => [name, unescapeHtml(value ?? "")]));
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Text as written in HTML (`&amp;`, `&quot;`, `&#x27;`…) back to the characters it stands for. */
export function unescapeHtml(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) =>
    name.startsWith("#")
      ? String.fromCodePoint(Number(name.slice(1).replace(/^x/i, "0x")))
      : (NAMED_ENTITIES[name] ?? entity),
  );
}
