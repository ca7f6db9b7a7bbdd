import { describe, expect, it } from "vitest";
import { ACCOUNT_FAILURE_LIMIT } from "@/lib/auth/account-limit";
import { attackServerForFile } from "../support/attack-server";
import { freshLoopbackAddress, request, signIn } from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Issue 26, finding 2: with VERCEL=1, every request reaches Next from the runtime's local bridge,
// so the address hook saw one address for every client (and the fallback path, with no
// CLIENT_IP_HEADER, put every request in one shared bucket): one client sending a sign-in every
// 3 seconds made every user's sign-in answer 429. Here the production server runs with
// VERCEL=1 and every request comes from one loopback address, as through the bridge; the
// clients differ only by the address Vercel's edge writes into x-vercel-forwarded-for.

const app = attackServerForFile({ VERCEL: "1", SIGN_UP_ENABLED: "true" });
const BRIDGE = freshLoopbackAddress();

const wrongGuess = () => ({ email: uniqueEmail("target"), password: "wrong password, guessed" });

/** A sign-in through the bridge, from the client Vercel's edge names (none: no header). */
async function signInThroughBridge(
  credentials: { email: string; password?: string },
  client?: string,
) {
  const headers: Record<string, string> = client ? { "x-vercel-forwarded-for": client } : {};
  return (await signIn(app.url, credentials, { from: BRIDGE, headers })).answer;
}

describe("with VERCEL=1 and the edge's header", () => {
  it("limits each client by the address Vercel's edge wrote, not by the bridge", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      statuses.push((await signInThroughBridge(wrongGuess(), "198.51.100.10")).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);

    // Another client, through the same bridge, is not held back by the first one's tries.
    expect((await signInThroughBridge(wrongGuess(), "198.51.100.11")).status).toBe(401);
  });

  it("takes x-forwarded-for, which the edge overwrites, when x-vercel-forwarded-for is absent", async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const answer = await request(app.url, "/api/auth/sign-in/email", {
        body: wrongGuess(),
        from: BRIDGE,
        headers: { "x-forwarded-for": "198.51.100.20" },
      });
      expect(answer.status).toBe(401);
    }
    const fourth = await request(app.url, "/api/auth/sign-in/email", {
      body: wrongGuess(),
      from: BRIDGE,
      headers: { "x-forwarded-for": "198.51.100.20" },
    });
    expect(fourth.status).toBe(429);
  });
});

describe("with VERCEL=1 and no usable address", () => {
  it("puts nobody in a bucket shared by everyone, and says so once in the log", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push((await signInThroughBridge(wrongGuess())).status);
    }
    // One shared bucket would answer 429 from the fourth try on, for every user.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const warnings = app.output().match(/a request came without a usable client address/g);
    expect(warnings).toHaveLength(1);
    expect(app.output()).not.toMatch(/single shared per-path bucket/);
  });

  it(`still stops guessing one account after ${ACCOUNT_FAILURE_LIMIT} failures`, async () => {
    const email = uniqueEmail("victim");
    const signUp = await request(app.url, "/api/auth/sign-up/email", {
      body: { name: "Victim", email, password: "correct horse battery staple" },
      from: BRIDGE,
      headers: { "x-vercel-forwarded-for": "198.51.100.30" },
    });
    expect(signUp.status).toBe(200);
    for (let attempt = 0; attempt < ACCOUNT_FAILURE_LIMIT; attempt += 1) {
      const answer = await signInThroughBridge({ email, password: "wrong password, guessed" });
      expect(answer.status).toBe(401);
    }
    const limited = await signInThroughBridge({ email, password: "wrong password, guessed" });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ code: "ACCOUNT_SIGN_IN_LIMITED" });
  });
});
