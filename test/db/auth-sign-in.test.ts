import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimits, sessions, users } from "@/lib/db/schema";
import { suspendUser } from "@/lib/tenancy/users";
import {
  authPost,
  cookiesFrom,
  createTestAuth,
  newUser,
  TEST_BASE_URL,
  type TestAuth,
} from "../support/auth";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { sessionCount, userRow } from "../support/tenancy";

let database: TestDatabase;
let t: TestAuth;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true });
  t = createTestAuth(database.url, { trustedOrigins: ["https://admin.example.com"] });
});

afterAll(async () => {
  await t?.close();
  await database?.drop();
});

/** Signs a new user up; returns their id, credentials and session cookie. */
async function signUp(auth: TestAuth = t) {
  const body = newUser();
  const response = await auth.handle(authPost("/sign-up/email", body));
  expect(response.status).toBe(200);
  const { user } = (await response.json()) as { user: { id: string } };
  return { id: user.id, email: body.email, password: body.password, cookie: cookiesFrom(response) };
}

async function getSession(cookie: string) {
  return t.auth.api.getSession({ headers: new Headers({ cookie }) });
}

describe("sign-in", () => {
  it("gives an active user a session", async () => {
    const user = await signUp();
    const response = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: user.password }),
    );
    expect(response.status).toBe(200);
    expect(await sessionCount(t.connection.db, user.id)).toBe(2);
    expect((await getSession(cookiesFrom(response)))?.user.id).toBe(user.id);
  });

  it("answers a wrong password and an unknown email alike: 401, no session", async () => {
    const user = await signUp();
    const wrong = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: "not the password" }),
    );
    const unknown = await t.handle(
      authPost("/sign-in/email", { email: `nobody-${user.email}`, password: user.password }),
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(await sessionCount(t.connection.db, user.id)).toBe(1);
  });

  it("refuses unknown fields in the body", async () => {
    const user = await signUp();
    const response = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: user.password, admin: true }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "UNKNOWN_FIELD" });
    expect(await sessionCount(t.connection.db, user.id)).toBe(1);
  });
});

describe("only active users get a session", () => {
  it("tells an invited user why they cannot sign in, and creates no session", async () => {
    const user = await signUp();
    // What an invitation looks like in the table (issue 6 creates these; here we fake one).
    await t.connection.db
      .update(users)
      .set({
        status: "invited",
        inviteToken: createHash("sha256").update(user.email).digest("hex"),
        inviteExpiresAt: new Date(Date.now() + 86_400_000),
      })
      .where(eq(users.id, user.id));
    await t.connection.db.delete(sessions).where(eq(sessions.userId, user.id));

    const response = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: user.password }),
    );
    expect(response.status).toBe(403);
    const json = (await response.json()) as { code: string; message: string };
    expect(json.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(json.message).toMatch(/invit/i);
    expect(response.headers.getSetCookie().join()).not.toContain("session_token=");
    expect(await sessionCount(t.connection.db, user.id)).toBe(0);
  });

  it("suspendUser ends every session at once and sign-in is refused with a reason", async () => {
    const user = await signUp();
    const second = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: user.password }),
    );
    expect(await sessionCount(t.connection.db, user.id)).toBe(2);
    expect(await getSession(user.cookie)).not.toBeNull();

    expect(await suspendUser(user.id, t.connection.db)).toBe(true);

    const row = await userRow(t.connection.db, user.id);
    expect(row.status).toBe("suspended");
    expect(await sessionCount(t.connection.db, user.id)).toBe(0);
    expect(await getSession(user.cookie)).toBeNull();
    expect(await getSession(cookiesFrom(second))).toBeNull();

    const response = await t.handle(
      authPost("/sign-in/email", { email: user.email, password: user.password }),
    );
    expect(response.status).toBe(403);
    const json = (await response.json()) as { code: string; message: string };
    expect(json.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(json.message).toMatch(/suspended/i);
    expect(await sessionCount(t.connection.db, user.id)).toBe(0);
  });

  it("suspendUser reports an unknown user and changes nothing", async () => {
    const user = await signUp();
    expect(await suspendUser("00000000-0000-4000-8000-000000000000", t.connection.db)).toBe(false);
    expect(await sessionCount(t.connection.db, user.id)).toBe(1);
  });
});

describe("origin checks (on, although NODE_ENV=test turns Better Auth's off by default)", () => {
  it("refuses a cookie-bearing POST from an untrusted origin with 403", async () => {
    const user = await signUp();
    const response = await t.handle(
      authPost(
        "/update-user",
        { name: "Mallory" },
        { cookie: user.cookie, origin: "https://evil.example" },
      ),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "INVALID_ORIGIN" });
    const row = await userRow(t.connection.db, user.id);
    expect(row.name).not.toBe("Mallory");
  });

  it("refuses localhost's twin 127.0.0.1: the origin must match BETTER_AUTH_URL exactly", async () => {
    const user = await signUp();
    const response = await t.handle(
      authPost("/sign-out", {}, { cookie: user.cookie, origin: "http://127.0.0.1:3000" }),
    );
    expect(response.status).toBe(403);
    expect(await sessionCount(t.connection.db, user.id)).toBe(1);
  });

  it("refuses a sign-in posted from another site", async () => {
    const user = await signUp();
    const response = await t.handle(
      authPost(
        "/sign-in/email",
        { email: user.email, password: user.password },
        { origin: "https://evil.example" },
      ),
    );
    expect(response.status).toBe(403);
    expect(await sessionCount(t.connection.db, user.id)).toBe(1);
  });

  it("accepts the app's own origin and those in BETTER_AUTH_TRUSTED_ORIGINS", async () => {
    const user = await signUp();
    for (const origin of [TEST_BASE_URL, "https://admin.example.com"]) {
      const response = await t.handle(
        authPost(
          "/update-user",
          { name: `Renamed from ${origin}` },
          { cookie: user.cookie, origin },
        ),
      );
      expect(response.status).toBe(200);
    }
  });
});

describe("rate limiting in production mode", () => {
  it("answers the 4th rapid sign-in from one IP with 429, counted in Postgres across instances", async () => {
    const replicaA = createTestAuth(database.url, { production: true });
    const replicaB = createTestAuth(database.url, { production: true });
    try {
      const ip = "203.0.113.7";
      const attempt = (replica: TestAuth, fromIp: string) =>
        replica.handle(
          authPost(
            "/sign-in/email",
            { email: "nobody@example.com", password: "wrong password" },
            { ip: fromIp },
          ),
        );
      const statuses = [
        (await attempt(replicaA, ip)).status,
        (await attempt(replicaB, ip)).status,
        (await attempt(replicaA, ip)).status,
      ];
      expect(statuses).toEqual([401, 401, 401]);
      // A different replica, same database: it sees the three attempts already counted.
      const fourth = await attempt(replicaB, ip);
      expect(fourth.status).toBe(429);
      expect(Number(fourth.headers.get("x-retry-after"))).toBeGreaterThan(0);

      const [row] = await t.connection.db
        .select()
        .from(rateLimits)
        .where(eq(rateLimits.key, `${ip}|/sign-in/email`));
      expect(row?.count).toBe(3);

      // The limit is per client IP, not global.
      expect((await attempt(replicaA, "203.0.113.8")).status).toBe(401);
    } finally {
      await replicaA.close();
      await replicaB.close();
    }
  });

  it("is off outside production", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await t.handle(
        authPost(
          "/sign-in/email",
          { email: "nobody@example.com", password: "wrong password" },
          { ip: "203.0.113.9" },
        ),
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
  });
});
