import { describe, expect, it } from "vitest";
import { ACCOUNT_FAILURE_LIMIT } from "@/lib/auth/account-limit";
import { attackServerForFile } from "../support/attack-server";
import { cookieOf, freshLoopbackAddress, request, signIn } from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Finding 2: the sign-in limit keyed on the X-Forwarded-For a client sends to a server reached
// directly, so rotating it dodged the limit and sending a victim's address locked the victim
// out; and nothing limited the tries on one account. Each client here is its own loopback
// address (127.0.0.x), which the server sees on the socket.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

async function victimAccount(): Promise<{ email: string; knownCookie: string }> {
  const email = uniqueEmail("victim");
  const signUp = await request(app.url, "/api/auth/sign-up/email", {
    body: { name: "Victim", email, password: "correct horse battery staple" },
    from: freshLoopbackAddress(),
  });
  expect(signUp.status).toBe(200);
  return { email, knownCookie: cookieOf(signUp) };
}

const wrong = (email: string) => ({ email, password: "wrong password, guessed" });

describe("the per-address limit", () => {
  it("cannot be dodged by sending a new X-Forwarded-For with each try", async () => {
    const attacker = freshLoopbackAddress();
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const { answer } = await signIn(app.url, wrong(uniqueEmail("target")), {
        from: attacker,
        headers: { "x-forwarded-for": `198.51.100.${attempt}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
  });

  it("cannot be spent by an attacker sending the victim's address", async () => {
    const victim = await victimAccount();
    const victimAddress = freshLoopbackAddress();
    const attacker = freshLoopbackAddress();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await signIn(app.url, wrong(victim.email), {
        from: attacker,
        headers: { "x-forwarded-for": victimAddress },
      });
    }
    const { answer } = await signIn(app.url, { email: victim.email }, { from: victimAddress });
    expect(answer.status).toBe(200);
  });
});

describe("the per-account limit", () => {
  it(`stops guessing from many addresses after ${ACCOUNT_FAILURE_LIMIT} failures, yet never locks out the owner's browser`, async () => {
    const victim = await victimAccount();
    // One try per address: the per-address limit never fires.
    for (let attempt = 0; attempt < ACCOUNT_FAILURE_LIMIT; attempt += 1) {
      const { answer } = await signIn(app.url, wrong(victim.email), {
        from: freshLoopbackAddress(),
      });
      expect(answer.status).toBe(401);
    }
    // Even the right password is held back for a browser that never signed in to the account.
    const guess = await signIn(app.url, { email: victim.email }, { from: freshLoopbackAddress() });
    expect(guess.answer.status).toBe(429);
    expect(JSON.parse(guess.answer.body)).toMatchObject({ code: "ACCOUNT_SIGN_IN_LIMITED" });
    expect(guess.cookie).not.toMatch(/session_token/);

    // The owner, in the browser they signed up with, signs in as usual.
    const owner = await signIn(
      app.url,
      { email: victim.email },
      { from: freshLoopbackAddress(), cookie: victim.knownCookie },
    );
    expect(owner.answer.status).toBe(200);
    expect(owner.cookie).toMatch(/session_token/);
  });

  it(`lets at most ${ACCOUNT_FAILURE_LIMIT} of 30 concurrent guesses from 30 addresses reach the password check`, async () => {
    // Issue 26: the limit was checked before the password and written after it, so every guess in
    // flight passed the check before the first failure was recorded.
    const victim = await victimAccount();
    const guesses = await Promise.all(
      Array.from({ length: 30 }, () =>
        signIn(app.url, wrong(victim.email), { from: freshLoopbackAddress() }),
      ),
    );
    // A 401 is a password checked and found wrong; every other guess was refused before that.
    const checked = guesses.filter(({ answer }) => answer.status === 401);
    const refused = guesses.filter(({ answer }) => answer.status !== 401);
    expect(checked.length).toBeLessThanOrEqual(ACCOUNT_FAILURE_LIMIT);
    for (const { answer } of refused) {
      expect(answer.status).toBe(429);
      expect(JSON.parse(answer.body)).toMatchObject({ code: "ACCOUNT_SIGN_IN_LIMITED" });
    }

    const owner = await signIn(
      app.url,
      { email: victim.email },
      { from: freshLoopbackAddress(), cookie: victim.knownCookie },
    );
    expect(owner.answer.status).toBe(200);
  });

  it("does not count the owner's successful sign-ins against the account", async () => {
    // Every attempt is counted before its password is checked; a success takes its count back.
    const victim = await victimAccount();
    for (let attempt = 0; attempt <= ACCOUNT_FAILURE_LIMIT; attempt += 1) {
      const { answer } = await signIn(
        app.url,
        { email: victim.email },
        { from: freshLoopbackAddress() },
      );
      expect(answer.status).toBe(200);
    }
  });
});
