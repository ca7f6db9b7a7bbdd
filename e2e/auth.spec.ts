import {
  expect,
  expectDashboardFor,
  signInThroughPage,
  signUpThroughPage,
  test,
} from "./support/fixtures";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// `records` checks in Postgres when the run has the server's database, else through the app
// (an already-deployed server: see docs/deployment.md, "Smoke-testing a deployed server").

test("sign up, see the dashboard, the stored user, sign out and sign back in", async ({
  page,
  records,
  user,
}) => {
  await signUpThroughPage(page, user);
  await expectDashboardFor(page, user);
  await expect(page.getByText("You are not a member of any client yet.")).toBeVisible();

  const row = await records.user(page, user.email);
  expect(row, `a stored user for ${user.email}`).toBeDefined();
  expect(row?.id).toMatch(UUID);
  expect(row?.name).toBe(user.name);
  expect(row?.status).toBe("active");
  expect(row?.invited).toBe(false);
  expect(await records.sessionCount(page, user.email)).toBe(1);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(await records.sessionCount(page, user.email)).toBe(0);
  // Signed out means signed out: the dashboard sends us back.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/sign-in$/);

  await signInThroughPage(page, user);
  await expectDashboardFor(page, user);
  expect(await records.sessionCount(page, user.email)).toBe(1);
});

test("a wrong password shows an error and creates no session", async ({
  page,
  records,
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
  const before = await records.sessionCount(page, user.email);

  // ... and a wrong password is refused with a reason, on the same page, with no session.
  await signInThroughPage(page, { email: user.email, password: `${user.password}-wrong` });
  await expect(
    page.getByRole("alert").filter({ hasText: "The email or the password is wrong." }),
  ).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(await records.sessionCount(page, user.email)).toBe(before);
  const cookies = await page.context().cookies();
  expect(cookies.some((cookie) => cookie.name.includes("session_token"))).toBe(false);
});
