import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ACCOUNT_FAILURE_LIMIT } from "@/lib/auth/account-limit";
import { users } from "@/lib/db/schema";
import { reactivateUser, suspendUser } from "@/lib/tenancy/users";
import { attackServerForFile } from "../support/attack-server";
import {
  cookieOf,
  freshLoopbackAddress,
  type HttpAnswer,
  PASSWORD,
  request,
  signIn,
  signUp,
} from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Issue 26, finding 3: the known-browser cookie, which exempts a browser from the per-account
// sign-in limit, was one fixed value per account (an HMAC of the email), valid for 180 days and
// bound to nothing else. A shared machine or a former user that kept it guessed with only the
// per-address limit in the way, after a password change or a suspension too. Here the attacker
// holds a copy of the cookie from before the change and guesses over HTTP from fresh addresses.

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

/** Just the known-browser cookie of an answer, as the attacker copied it off the machine. */
function knownBrowserCookie(answer: HttpAnswer): string {
  const cookie = cookieOf(answer)
    .split("; ")
    .find((pair) => pair.includes("known_browser="));
  if (!cookie) throw new Error(`no known_browser cookie in: ${cookieOf(answer)}`);
  return cookie;
}

async function victimAccount() {
  const email = uniqueEmail("victim");
  const { answer, cookie } = await signUp(app.url, email, "Victim", {
    from: freshLoopbackAddress(),
  });
  expect(answer.status).toBe(200);
  return { email, session: cookie, keptByAttacker: knownBrowserCookie(answer) };
}

/** Spends the account's budget from fresh addresses, so only a known browser gets through. */
async function exhaustAccountLimit(email: string) {
  for (let attempt = 0; attempt < ACCOUNT_FAILURE_LIMIT; attempt += 1) {
    const { answer } = await signIn(
      app.url,
      { email, password: "wrong password, guessed" },
      { from: freshLoopbackAddress() },
    );
    expect(answer.status).toBe(401);
  }
}

async function guessWith(email: string, cookie: string) {
  return (
    await signIn(
      app.url,
      { email, password: "another wrong guess" },
      { from: freshLoopbackAddress(), cookie },
    )
  ).answer;
}

describe("a known-browser cookie kept from before", () => {
  it("no longer exempts from the per-account limit once the password changed; the browser that changed it still signs in", async () => {
    const victim = await victimAccount();
    const newPassword = "a new password, long enough";
    const changed = await request(app.url, "/api/auth/change-password", {
      body: { currentPassword: PASSWORD, newPassword },
      cookie: victim.session,
      from: freshLoopbackAddress(),
    });
    expect(changed.status).toBe(200);

    await exhaustAccountLimit(victim.email);
    const guess = await guessWith(victim.email, victim.keptByAttacker);
    // On the earlier code this guess reached the password check (401): the cookie still counted.
    expect(guess.status).toBe(429);
    expect(JSON.parse(guess.body)).toMatchObject({ code: "ACCOUNT_SIGN_IN_LIMITED" });

    const owner = await signIn(
      app.url,
      { email: victim.email, password: newPassword },
      { from: freshLoopbackAddress(), cookie: knownBrowserCookie(changed) },
    );
    expect(owner.answer.status).toBe(200);
  });

  it("no longer exempts once the account was suspended, even after it is reactivated", async () => {
    const victim = await victimAccount();
    const [user] = await app.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, victim.email));
    expect(user).toBeDefined();
    await suspendUser(user?.id ?? "", app.db);
    await reactivateUser(user?.id ?? "", app.db);

    await exhaustAccountLimit(victim.email);
    const guess = await guessWith(victim.email, victim.keptByAttacker);
    expect(guess.status).toBe(429);
  });

  it("still lets the owner's browser in while the account is limited", async () => {
    const victim = await victimAccount();
    await exhaustAccountLimit(victim.email);
    const owner = await signIn(
      app.url,
      { email: victim.email },
      { from: freshLoopbackAddress(), cookie: victim.keptByAttacker },
    );
    expect(owner.answer.status).toBe(200);
  });
});
