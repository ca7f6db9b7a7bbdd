import { afterAll, expect, it } from "vitest";
import { attackServerForFile } from "../support/attack-server";
import { type BlackHoleProxy, startBlackHoleProxy } from "../support/black-hole-proxy";
import { request } from "../support/http-client";

// Finding 5: /api/health showed anonymous callers the migration version and, with the database
// down, internal error text naming the host, port, database and variables. An anonymous caller
// gets the status alone; details need HEALTH_TOKEN or development mode (not set here).

let proxy: BlackHoleProxy | undefined;
const app = attackServerForFile(
  { DATABASE_STATEMENT_TIMEOUT_MS: "1000", DATABASE_CONNECT_TIMEOUT_MS: "1000" },
  {
    appDatabaseUrl: async (url) => {
      proxy = await startBlackHoleProxy(url);
      return proxy.url;
    },
  },
);
afterAll(() => proxy?.close());

/** What must never reach an anonymous caller: where the database is and how it is configured. */
function internals(): string[] {
  const direct = new URL(app.databaseUrl);
  const viaProxy = new URL(proxy?.url ?? app.databaseUrl);
  return [
    direct.hostname,
    direct.port,
    viaProxy.port,
    direct.pathname.slice(1),
    "DATABASE_URL",
    "MIGRATIONS_DATABASE_URL",
    "ECONNREFUSED",
  ];
}

it("answers an anonymous caller with the status alone while healthy: no version", async () => {
  const answer = await request(app.url, "/api/health");
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
  expect(answer.body).not.toMatch(/\d{4}_[a-z-]+/);
});

it("tells an anonymous caller nothing internal when the database is down", async () => {
  await proxy?.close();
  const answer = await request(app.url, "/api/health");
  expect(answer.status).toBe(503);
  // The bare status: the reason (with whatever the driver said) is for the log and HEALTH_TOKEN.
  expect(JSON.parse(answer.body)).toEqual({ status: "unavailable" });
  for (const secret of internals()) expect(answer.body).not.toContain(secret);
});
