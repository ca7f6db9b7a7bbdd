import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { users } from "@/lib/db/schema";
import { attackServerForFile } from "../support/attack-server";
import { request, signUp } from "../support/http-client";
import { uniqueEmail } from "../support/tenancy";

// Finding 7: /api/auth/update-user stored an empty name and a 16,000-character one, which
// sign-up refuses (1 to 100 characters).

const app = attackServerForFile({ SIGN_UP_ENABLED: "true" });

it.each([
  ["an empty name", ""],
  ["a 16,000-character name", "n".repeat(16_000)],
])("update-user refuses %s and keeps the name", async (_what, name) => {
  const email = uniqueEmail("renamer");
  const { cookie } = await signUp(app.url, email, "Original Name");
  const answer = await request(app.url, "/api/auth/update-user", { body: { name }, cookie });
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.body)).toMatchObject({ code: "INVALID_NAME" });
  const [row] = await app.db.select({ name: users.name }).from(users).where(eq(users.email, email));
  expect(row?.name).toBe("Original Name");
});
