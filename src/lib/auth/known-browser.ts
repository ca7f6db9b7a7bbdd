import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/lib/db/client";
import { accounts, users } from "@/lib/db/schema";

/**
 * The "known browser" exemption from the per-account sign-in limit (account-limit.ts): a browser
 * that signed in to an account holds a cookie that lets it sign in while the account is limited,
 * so an attacker failing on purpose cannot lock the owner out.
 *
 * The cookie holds a stamp: an HMAC, under the auth secret, of the account's id, its password
 * hash and its sign-in generation (raised by a suspension). Nothing in it can be carried past a
 * password change or a suspension: a new password hash or generation gives another stamp, so
 * every cookie issued before stops exempting. A cookie kept by a shared machine or a former user
 * is then worth nothing, while the owner's browsers get a new stamp at their next sign-in (or at
 * once, in the browser that changed the password). Forging one needs the secret.
 */
export const KNOWN_BROWSER_COOKIE = "known_browser";
/** How long a browser stays known after a successful sign-in. */
export const KNOWN_BROWSER_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

/**
 * The stamp a browser known to the account of `email` holds now, or undefined when no account
 * with a password has this email.
 */
export async function knownBrowserStamp(
  db: Database,
  secret: string,
  email: string,
): Promise<string | undefined> {
  const [row] = await db
    .select({
      userId: users.id,
      generation: users.signInGeneration,
      passwordHash: accounts.password,
    })
    .from(users)
    .innerJoin(accounts, and(eq(accounts.userId, users.id), eq(accounts.providerId, "credential")))
    .where(eq(users.email, sql`lower(btrim(${email}))`));
  if (!row?.passwordHash) return undefined;
  return createHmac("sha256", secret)
    .update(["known-browser", row.userId, row.generation, row.passwordHash].join("\0"))
    .digest("base64url");
}

/** Whether `cookie` is the stamp the account of `email` issues now. */
export async function isKnownBrowser(
  db: Database,
  secret: string,
  email: string,
  cookie: string | null | undefined,
): Promise<boolean> {
  if (!cookie) return false;
  const stamp = await knownBrowserStamp(db, secret, email);
  if (stamp === undefined) return false;
  const [given, expected] = [Buffer.from(cookie), Buffer.from(stamp)];
  return given.length === expected.length && timingSafeEqual(given, expected);
}
