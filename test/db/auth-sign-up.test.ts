import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts, sessions, users } from "@/lib/db/schema";
import { authPost, cookiesFrom, createTestAuth, newUser, type TestAuth } from "../support/auth";
import { createTestDatabase, type TestDatabase } from "../support/database";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let database: TestDatabase;
let t: TestAuth;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true });
  t = createTestAuth(database.url);
});

afterAll(async () => {
  await t?.close();
  await database?.drop();
});

async function countUsers(): Promise<number> {
  const [row] = await t.connection.db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

async function userByEmail(email: string) {
  const [row] = await t.connection.db.select().from(users).where(eq(users.email, email));
  return row;
}

describe("Better Auth's schema check", () => {
  it("finds the Drizzle schema matches what Better Auth reads and writes", async () => {
    const context = await t.auth.$context;
    expect(context.explicitSchemaCheck).toBeTypeOf("function");
    // Throws SchemaMismatchError naming each missing or unwritable column.
    await context.explicitSchemaCheck?.();
  });
});

describe("sign-up through the auth API", () => {
  it("writes a users row (UUID, active, no invite), a hashed credential account and a session", async () => {
    const body = newUser({ email: `Mixed.Case-${Date.now()}@Example.COM` });
    const response = await t.handle(authPost("/sign-up/email", body));
    expect(response.status).toBe(200);
    const json = (await response.json()) as { user: Record<string, unknown>; token: string };
    expect(json.user).not.toHaveProperty("inviteToken");
    expect(json.user.status).toBe("active");

    const user = await userByEmail(body.email.toLowerCase());
    expect(user).toBeDefined();
    expect(user?.id).toMatch(UUID);
    expect(user?.id).toBe(json.user.id);
    expect(user?.name).toBe(body.name);
    expect(user?.status).toBe("active");
    expect(user?.inviteToken).toBeNull();
    expect(user?.inviteExpiresAt).toBeNull();
    expect(user?.emailVerified).toBe(false);

    const accountRows = await t.connection.db
      .select()
      .from(accounts)
      .where(eq(accounts.userId, user?.id ?? ""));
    expect(accountRows).toHaveLength(1);
    expect(accountRows[0]?.providerId).toBe("credential");
    expect(accountRows[0]?.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/); // scrypt salt:key
    expect(accountRows[0]?.password).not.toContain(body.password);

    const sessionRows = await t.connection.db
      .select()
      .from(sessions)
      .where(eq(sessions.userId, user?.id ?? ""));
    expect(sessionRows).toHaveLength(1);
    expect(sessionRows[0]?.id).toMatch(UUID);
    expect(sessionRows[0]?.token).toBe(json.token);
    expect(response.headers.getSetCookie().join("\n")).toContain("better-auth.session_token=");
  });

  it("refuses a duplicate email in any letter case with 422 and writes nothing", async () => {
    const body = newUser();
    expect((await t.handle(authPost("/sign-up/email", body))).status).toBe(200);
    const before = await countUsers();

    const again = await t.handle(
      authPost("/sign-up/email", { ...newUser(), email: body.email.toUpperCase() }),
    );
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" });
    expect(await countUsers()).toBe(before);
  });
});

describe("server-only user fields", () => {
  it.each([
    ["status", "suspended"],
    ["status", "active"],
    ["inviteToken", "a".repeat(64)],
    ["inviteExpiresAt", "2030-01-01T00:00:00.000Z"],
    ["emailVerified", true],
  ])("refuses %s in the sign-up body with 400 and writes no row", async (field, value) => {
    const body = newUser({ [field]: value });
    const response = await t.handle(authPost("/sign-up/email", body));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "FIELD_NOT_ALLOWED",
      message: `${field} is set by the server and cannot be sent at sign-up.`,
    });
    expect(await userByEmail(body.email)).toBeUndefined();
  });

  it("keeps them out of a signed-in user's update", async () => {
    const body = newUser();
    const signUp = await t.handle(authPost("/sign-up/email", body));
    const update = await t.handle(
      authPost(
        "/update-user",
        { status: "suspended", inviteToken: "b".repeat(64) },
        { cookie: cookiesFrom(signUp) },
      ),
    );
    expect(update.status).toBe(400);
    const user = await userByEmail(body.email);
    expect(user?.status).toBe("active");
    expect(user?.inviteToken).toBeNull();
  });

  it.each([
    ["an empty name", { name: "" }],
    ["a blank name", { name: "   " }],
    ["a 16,000-character name", { name: "n".repeat(16_000) }],
  ])("refuses %s in an update, as at sign-up, and keeps the old one", async (_what, change) => {
    const body = newUser();
    const signUp = await t.handle(authPost("/sign-up/email", body));
    const update = await t.handle(
      authPost("/update-user", change, { cookie: cookiesFrom(signUp) }),
    );
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({ code: "INVALID_NAME" });
    expect((await userByEmail(body.email))?.name).toBe(body.name);
  });

  it("accepts a valid new name", async () => {
    const body = newUser();
    const signUp = await t.handle(authPost("/sign-up/email", body));
    const update = await t.handle(
      authPost("/update-user", { name: "New Name" }, { cookie: cookiesFrom(signUp) }),
    );
    expect(update.status).toBe(200);
    expect((await userByEmail(body.email))?.name).toBe("New Name");
  });
});

describe("bad sign-up input gets a clear 4xx and writes no row", () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ["a malformed email", { email: "not-an-email" }, 400, "INVALID_EMAIL"],
    [
      "an email over 254 characters",
      { email: `${"a".repeat(250)}@example.com` },
      400,
      "INVALID_EMAIL",
    ],
    ["a password under 8 characters", { password: "short" }, 400, "PASSWORD_TOO_SHORT"],
    ["a password over 128 characters", { password: "p".repeat(129) }, 400, "PASSWORD_TOO_LONG"],
    ["a missing name", { name: undefined }, 400, "MISSING_FIELD"],
    ["a blank name", { name: "   " }, 400, "INVALID_NAME"],
    ["a missing password", { password: undefined }, 400, "MISSING_FIELD"],
    ["a password that is not a string", { password: 12345678 }, 400, "INVALID_FIELD"],
    ["an unknown field", { role: "agency_admin" }, 400, "UNKNOWN_FIELD"],
  ];

  it.each(cases)("%s", async (_label, overrides, status, code) => {
    const body = newUser(overrides);
    const before = await countUsers();
    const response = await t.handle(authPost("/sign-up/email", body));
    expect(response.status).toBe(status);
    const json = (await response.json()) as { code: string; message: string };
    expect(json.code).toBe(code);
    expect(json.message.length).toBeGreaterThan(10);
    expect(await countUsers()).toBe(before);
  });

  it("a body that is not a JSON object", async () => {
    const before = await countUsers();
    const response = await t.handle(authPost("/sign-up/email", "[1,2,3]"));
    expect(response.status).toBe(400);
    expect(await countUsers()).toBe(before);
  });

  it("malformed JSON", async () => {
    const before = await countUsers();
    const response = await t.handle(authPost("/sign-up/email", '{"email": "x@example.com",'));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await countUsers()).toBe(before);
  });

  it("a body over 16 KiB gets 413 without reaching Better Auth", async () => {
    const before = await countUsers();
    const body = newUser({ name: "n".repeat(20_000) });
    const response = await t.handle(authPost("/sign-up/email", body));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    expect(await countUsers()).toBe(before);
  });

  it("an oversized chunked body (no Content-Length) gets 413 too", async () => {
    const before = await countUsers();
    const chunk = new TextEncoder().encode(" ".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 10) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const request = new Request("http://localhost:3000/api/auth/sign-up/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:3000" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();
    const response = await t.handle(request);
    expect(response.status).toBe(413);
    expect(await countUsers()).toBe(before);
  });
});
