import { describe, expect, it } from "vitest";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp } from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Finding 8: server actions ran for a cookie-bearing POST with no Origin header, and a foreign
// Origin got a 500 instead of a 4xx. An action is identified by the Next-Action header; the
// refusal comes before Next looks the action up, so any id shows it.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

async function postAction(headers: Record<string, string>, origin: string | null) {
  const { cookie } = await signUp(app.url, uniqueEmail("actor"));
  return request(app.url, "/dashboard", {
    method: "POST",
    body: "[]",
    cookie,
    origin,
    headers: {
      "next-action": "0".repeat(42),
      "content-type": "text/plain;charset=UTF-8",
      ...headers,
    },
  });
}

describe("a server action request", () => {
  it("without an Origin header or Sec-Fetch-Site is refused with 403", async () => {
    const answer = await postAction({}, null);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "CROSS_ORIGIN_REQUEST" });
  });

  it("from a foreign Origin is refused with 403, not a 500", async () => {
    expect((await postAction({}, "https://evil.example")).status).toBe(403);
    expect((await postAction({ "sec-fetch-site": "same-origin" }, "null")).status).toBe(403);
  });

  it("that a browser marks cross-site, with no Origin, is refused", async () => {
    expect((await postAction({ "sec-fetch-site": "cross-site" }, null)).status).toBe(403);
  });

  it("from the app's own origin reaches Next (which then looks the action up)", async () => {
    expect((await postAction({}, app.url)).status).not.toBe(403);
    expect((await postAction({ "sec-fetch-site": "same-origin" }, null)).status).not.toBe(403);
  });
});
