import { afterEach, describe, expect, inject, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { type Deployment, deployOnVercelRuntime, requestFrom } from "../support/vercel-deployment";

// Better Auth allows 3 sign-ins per 10 s per client address. On Vercel every request reaches the
// function through the runtime's local bridge, so the socket's peer is the bridge for every
// client; only the addresses Vercel's edge writes tell clients apart. Each client must get its own
// bucket in the default configuration (no variable about addresses) as well as with
// CLIENT_IP_HEADER naming the edge's header.

let runtime: Deployment | undefined;
let database: TestDatabase | undefined;

afterEach(async () => {
  await runtime?.stop();
  await database?.drop();
});

const wrongSignIn = (clientAddress: string, { url, publicUrl }: Deployment) =>
  requestFrom(clientAddress, `${url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: publicUrl },
    body: JSON.stringify({ email: "nobody@example.com", password: "not-the-password-1" }),
  });

describe.each<{ configuration: string; env: Record<string, string> }>([
  { configuration: "the default configuration", env: {} },
  { configuration: "CLIENT_IP_HEADER=x-real-ip", env: { CLIENT_IP_HEADER: "x-real-ip" } },
])("sign-in limits on Vercel, $configuration", ({ env }) => {
  async function deployment(): Promise<Deployment> {
    database = await createTestDatabase({ migrated: true });
    runtime = await deployOnVercelRuntime(inject("vercelBuild").outputDir, database.url, env);
    return runtime;
  }

  test("six clients, one sign-in each: none is limited", async () => {
    const deployed = await deployment();
    const statuses: number[] = [];
    for (let client = 2; client <= 7; client += 1) {
      statuses.push((await wrongSignIn(`127.0.0.${client}`, deployed)).status);
    }
    expect(statuses, runtime?.output()).toEqual([401, 401, 401, 401, 401, 401]);
  });

  test("one client, five quick sign-ins: limited after three", async () => {
    const deployed = await deployment();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      statuses.push((await wrongSignIn("127.0.0.9", deployed)).status);
    }
    expect(statuses, runtime?.output()).toEqual([401, 401, 401, 429, 429]);
  });
});
