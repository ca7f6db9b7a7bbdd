import type { Page } from "@playwright/test";
import { eq, sql } from "drizzle-orm";
import type { Database } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";

/** A user as the checks see it. */
export interface UserRecord {
  id: string;
  name: string;
  status: string;
  /** Whether the row carries an invitation (token or expiry). */
  invited: boolean;
}

/**
 * Where the tests check what the pages did: in Postgres when the run has the server's database
 * (its own server's, or E2E_DATABASE_URL), else through the app's own session API, as the
 * signed-in browser sees it (a deployed server whose database the tester cannot reach).
 */
export interface Records {
  /** The user's row; through the app: the user this page's browser is signed in as. */
  user(page: Page, email: string): Promise<UserRecord | undefined>;
  /** The user's sessions; through the app: 1 if this page's browser is signed in as them, else 0. */
  sessionCount(page: Page, email: string): Promise<number>;
}

export function databaseRecords(db: Database): Records {
  return {
    async user(_page, email) {
      const [row] = await db.select().from(users).where(eq(users.email, email));
      if (!row) return undefined;
      const invited = row.inviteToken !== null || row.inviteExpiresAt !== null;
      return { id: row.id, name: row.name, status: row.status, invited };
    },
    async sessionCount(_page, email) {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(users.email, email));
      return row?.n ?? 0;
    },
  };
}

interface SessionBody {
  user?: { id: string; name: string; email: string; status: string; inviteExpiresAt?: unknown };
}

/** Better Auth's `GET /api/auth/get-session` with the page's cookies: `null` when signed out. */
async function signedInUser(page: Page, email: string): Promise<SessionBody["user"]> {
  const response = await page.request.get("/api/auth/get-session");
  if (!response.ok()) throw new Error(`get-session answered ${response.status()}`);
  const body = (await response.json()) as SessionBody | null;
  return body?.user?.email === email ? body.user : undefined;
}

export const appRecords: Records = {
  async user(page, email) {
    const user = await signedInUser(page, email);
    if (!user) return undefined;
    // The invitation token is never returned; its expiry is.
    const invited = user.inviteExpiresAt !== null && user.inviteExpiresAt !== undefined;
    return { id: user.id, name: user.name, status: user.status, invited };
  },
  async sessionCount(page, email) {
    return (await signedInUser(page, email)) ? 1 : 0;
  },
};
