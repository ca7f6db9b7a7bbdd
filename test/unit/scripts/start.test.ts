import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runScript } from "../../support/scripts";

// From an empty directory, so the developer's own .env files play no part.
let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "npm-start-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("npm start (scripts/start.ts)", () => {
  it("stops before starting Next when DATABASE_URL is missing, naming it", async () => {
    const { code, stdout, stderr } = await runScript("start.ts", [], {
      cwd,
      env: { NODE_ENV: "production" },
    }).finished;
    expect(code).toBe(1);
    expect(stderr).toMatch(/DATABASE_URL is not set: it is the Postgres connection string/);
    expect(stderr).toMatch(/never starts a database/);
    expect(stdout).not.toMatch(/Next\.js/);
  });

  it("reads DATABASE_URL from a .env file as Next would, then hands over to next start", async () => {
    await writeFile(path.join(cwd, ".env"), "DATABASE_URL=postgres://app@127.0.0.1:5432/app\n");
    const { code, stdout, stderr } = await runScript("start.ts", [], {
      cwd,
      env: { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    }).finished;
    // No build in an empty directory: the error now comes from `next start` itself.
    expect(stderr).not.toMatch(/DATABASE_URL is not set/);
    expect(`${stdout}${stderr}`).toMatch(/production build/);
    expect(code).not.toBe(0);
  });
});
