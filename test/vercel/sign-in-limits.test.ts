import type { VercelRuntime } from "@tools/vercel-runtime";
import { afterEach, expect, inject, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { deployOnVercelRuntime, requestFrom } from "../support/vercel-deployment";

// Better Auth allows 3 sign-ins per 10 s per client address. On Vercel every request reaches the
// function through the runtime's local bridge, so the socket's peer is the bridge for every
// client; only the address Vercel's edge writes tells clients apart. In the default Vercel
// configuration (no CLIENT_IP_HEADER, no trusted proxies) each client must get its own bucket.

let runtime: VercelRuntime | undefined;
let database: TestDatabase | undefined;

afterEach(async () => {
  await runtime?.stop();
  await database?.drop();
});

async function deployment(): Promise<VercelRuntime> {
  database = await createTestDatabase({ migrated: true });
  runtime = await deployOnVercelRuntime(inject("vercelBuild").outputDir, database.url);
  return runtime;
}

const wrongSignIn = (clientAddress: string, url: string) =>
  requestFrom(clientAddress, `${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email: "nobody@example.com", password: "not-the-password-1" }),
  });

test("six clients, one sign-in each: none is limited", async () => {
  const { url } = await deployment();
  const statuses: number[] = [];
  for (let client = 2; client <= 7; client += 1) {
    statuses.push((await wrongSignIn(`127.0.0.${client}`, url)).status);
  }
  expect(statuses, runtime?.output()).toEqual([401, 401, 401, 401, 401, 401]);
});

test("one client, five quick sign-ins: limited after three", async () => {
  const { url } = await deployment();
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    statuses.push((await wrongSignIn("127.0.0.9", url)).status);
  }
  expect(statuses).toEqual([401, 401, 401, 429, 429]);
});
