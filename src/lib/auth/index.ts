import { headers } from "next/headers";
import { after } from "next/server";
import { readEnv } from "@/env";
import { getDb } from "@/lib/db";
import { pruneIfDue } from "@/lib/retention";
import { withResolvedClientAddress } from "./client-address";
import { type Auth, createAuth } from "./create-auth";
import { withBodyLimit } from "./request-limits";
import { authSettingsFromEnv } from "./settings";

type AuthSession = NonNullable<Awaited<ReturnType<Auth["api"]["getSession"]>>>;

const authKey = Symbol.for("agency-reporting.auth");
type AuthHolder = { [authKey]?: Auth };

/**
 * The app's Better Auth instance, made on first use: `betterAuth()` starts initialising (and in
 * production checks its secret) as soon as it is called, and `getDb()` needs DATABASE_URL, so
 * building it at import would make `next build` need a database and secrets. Kept on `globalThis`
 * like the pool it uses, so every route bundle in the process shares one instance.
 */
export function getAuth(): Auth {
  const holder = globalThis as AuthHolder;
  holder[authKey] ??= createAuth({ db: getDb(), ...authSettingsFromEnv() });
  return holder[authKey];
}

/**
 * What `app/api/auth/[...all]` serves: Better Auth behind the body-size cap, seeing the client
 * address `installClientAddress` resolved (never one the client chose). After answering, it
 * prunes expired rows now and then (src/lib/retention.ts): sign-ins are what grows them.
 */
export const handleAuthRequest = withBodyLimit((request) => {
  after(() => pruneIfDue(getDb()));
  return getAuth().handler(withResolvedClientAddress(request));
});

/**
 * The signed-in user's session, or null. A user who is no longer active counts as signed out even
 * if a session row survived (suspension deletes them; this covers a status changed by hand).
 */
export async function getActiveSession(): Promise<AuthSession | null> {
  // `headers()` first: it marks the page dynamic, so `next build` never prerenders it and never
  // reaches `getAuth()`, which needs the database and, in production, the secrets.
  const requestHeaders = await headers();
  const session = await getAuth().api.getSession({ headers: requestHeaders });
  return session?.user.status === "active" ? session : null;
}

/** Whether /sign-up is open (SIGN_UP_ENABLED); closed, accounts come from invitations only. */
export function isSignUpEnabled(): boolean {
  return readEnv().SIGN_UP_ENABLED;
}

export { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./input";
export { SIGN_UP_CLOSED_MESSAGE } from "./messages";
export { authSettingsFromEnv } from "./settings";
