import { eq, sql } from "drizzle-orm";
import type { Database } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";
import {
  expect,
  expectDashboardFor,
  signInThroughPage,
  signUpThroughPage,
  test,
} from "./support/fixtures";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("sign up, see the dashboard, the rows in Postgres, sign out and sign back in", async ({
  page,
  db,
  user,
}) => {
  await signUpThroughPage(page, user);
  await expectDashboardFor(page, user);
  await expect(page.getByText("You are not a member of any client yet.")).toBeVisible();

  const [row] = await db.select().from(users).where(eq(users.email, user.email));
  expect(row, `a users row for ${user.email}`).toBeDefined();
  expect(row?.id).toMatch(UUID);
  expect(row?.name).toBe(user.name);
  expect(row?.status).toBe("active");
  expect(row?.inviteToken).toBeNull();
  expect(row?.inviteExpiresAt).toBeNull();
  const userId = row?.id ?? "";
  expect(await sessionCount(db, userId)).toBe(1);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(await sessionCount(db, userId)).toBe(0);
  // Signed out means signed out: the dashboard sends us back.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/sign-in$/);

  await signInThroughPage(page, user);
  await expectDashboardFor(page, user);
  expect(await sessionCount(db, userId)).toBe(1);
});

test("a wrong password shows an error and creates no session", async ({
  page,
  db,
  user,
  request,
  baseURL,
}) => {
  // The account exists (made through the API, the way the pages make it) ...
  const signUp = await request.post("/api/auth/sign-up/email", {
    data: user,
    headers: { origin: baseURL ?? "" },
  });
  expect(signUp.status()).toBe(200);
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, user.email));
  const before = await sessionCount(db, row?.id ?? "");

  // ... and a wrong password is refused with a reason, on the same page, with no session.
  await signInThroughPage(page, { email: user.email, password: `${user.password}-wrong` });
  await expect(
    page.getByRole("alert").filter({ hasText: "The email or the password is wrong." }),
  ).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(await sessionCount(db, row?.id ?? "")).toBe(before);
  const cookies = await page.context().cookies();
  expect(cookies.some((cookie) => cookie.name.includes("session_token"))).toBe(false);
});

async function sessionCount(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(sessions)
    .where(eq(sessions.userId, userId));
  return row?.n ?? 0;
}
