import { afterAll, describe, expect, it } from "vitest";
import { attackServerForFile } from "../support/attack-server";
import { type BlackHoleProxy, startBlackHoleProxy } from "../support/black-hole-proxy";
import { request, signUp } from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Finding 4: with the database black-holed, pages and sign-up hung for over 45 s, holding every
// pooled connection. Here the app's pool reaches Postgres through a proxy that stops passing
// anything on; the deadlines are short so the test is.

const DEADLINE_MS = 1_500;
/** The deadline, plus rendering on a busy machine: far below the old hang. */
const BOUND_MS = 4 * DEADLINE_MS;

let proxy: BlackHoleProxy | undefined;
const app = attackServerForFile(
  {
    SIGN_UP_ENABLED: "true",
    DATABASE_POOL_MAX: "2",
    DATABASE_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS),
    DATABASE_CONNECT_TIMEOUT_MS: String(DEADLINE_MS),
  },
  {
    appDatabaseUrl: async (url) => {
      proxy = await startBlackHoleProxy(url);
      return proxy.url;
    },
  },
);
afterAll(() => proxy?.close());

async function timed<T>(work: Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await work;
  return { ...result, ms: performance.now() - started };
}

describe("with the database black-holed", () => {
  it("pages answer with the error page within the deadline, and requests do not pile up", async () => {
    const { cookie } = await signUp(app.url, uniqueEmail("before"));
    expect((await request(app.url, "/dashboard", { cookie })).status).toBe(200);
    proxy?.blackHole();

    // Four times the pool: the ones waiting for a connection must not wait for ever either.
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => timed(request(app.url, "/dashboard", { cookie }))),
    );
    for (const answer of answers) {
      // Next answers 500 with the shell in which the browser renders app/error.tsx.
      expect(answer.status).toBe(500);
      expect(answer.ms).toBeLessThan(BOUND_MS);
    }
    expect(performance.now() - started).toBeLessThan(BOUND_MS);

    // Finding 9: the failed session lookups are logged, without the token they looked for.
    const token = decodeURIComponent(/session_token=([^;.]+)/.exec(cookie)?.[1] ?? "");
    expect(token.length).toBeGreaterThan(20);
    expect(app.output()).toMatch(/Failed query/);
    expect(app.output()).not.toContain(token);
  });

  it("sign-up fails within the deadline instead of hanging", async () => {
    const attempt = await timed(signUp(app.url, uniqueEmail("during")));
    expect(attempt.answer.status).toBeGreaterThanOrEqual(500);
    expect(attempt.ms).toBeLessThan(BOUND_MS);
  });
});
