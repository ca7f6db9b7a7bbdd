import { describe, expect, it } from "vitest";
import { attackServerForFile } from "../support/attack-server";
import { request } from "../support/http-client";

// Finding 6: no security headers at all, `X-Powered-By: Next.js`, and the invite page's
// no-referrer only as a meta tag. The browser side (the pages run under the policy with no
// violation) is checked by the Playwright run (e2e/support/fixtures.ts).

const app = attackServerForFile();

async function staticFile(): Promise<string> {
  const page = await request(app.url, "/sign-in");
  const file = /src="(\/_next\/static\/[^"]+\.js)"/.exec(page.body)?.[1];
  if (!file) throw new Error(`no script in /sign-in:\n${page.body.slice(0, 500)}`);
  return file;
}

describe("every response", () => {
  it.each([
    ["a public page", "/"],
    ["a page behind sign-in (its redirect)", "/dashboard"],
    ["a 404", "/no-such-page"],
    ["the auth API", "/api/auth/get-session"],
    ["the health check", "/api/health"],
  ])("carries the security headers: %s", async (_what, path) => {
    const { headers } = await request(app.url, path);
    expect(headers.get("x-powered-by")).toBeNull();
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}/);
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  });

  it("includes Next's static files", async () => {
    const { status, headers } = await request(app.url, await staticFile());
    expect(status).toBe(200);
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });
});

describe("a page's Content-Security-Policy", () => {
  it("allows only scripts carrying this response's fresh nonce", async () => {
    const first = await request(app.url, "/sign-in");
    const second = await request(app.url, "/sign-in");
    const nonceOf = (policy: string | null) => /'nonce-([^']+)'/.exec(policy ?? "")?.[1];
    const nonce = nonceOf(first.headers.get("content-security-policy"));
    expect(nonce).toBeDefined();
    expect(nonceOf(second.headers.get("content-security-policy"))).not.toBe(nonce);
    expect(first.headers.get("content-security-policy")).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Every script element of the page carries it.
    const scripts = first.body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
  });
});

it("an invite link's page sends Referrer-Policy: no-referrer as a header", async () => {
  const { headers } = await request(app.url, `/invite/${"x".repeat(43)}`);
  expect(headers.get("referrer-policy")).toBe("no-referrer");
});
