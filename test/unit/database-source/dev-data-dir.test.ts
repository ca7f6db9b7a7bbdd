import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { devDataDir } from "@tools/database-source/dev-data-dir";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEV_DATABASE_DIR } from "@/env";

// A user that owns nothing here, standing in for the postgres user Postgres runs as under root.
const postgresUser = { uid: 4242, gid: 4242 };

let scratch: string;
let openCheckout: string;
let closedCheckout: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "dev-data-dir-"));
  openCheckout = path.join(scratch, "srv", "app");
  closedCheckout = path.join(scratch, "home", "app");
  await mkdir(openCheckout, { recursive: true, mode: 0o755 });
  await mkdir(path.dirname(closedCheckout), { mode: 0o700 });
  await mkdir(closedCheckout, { mode: 0o755 });
  await chmod(scratch, 0o755);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("devDataDir", () => {
  it("is DEV_DATABASE_DIR inside the checkout when Postgres runs as the current user", async () => {
    const dir = await devDataDir(DEFAULT_DEV_DATABASE_DIR, undefined, () => {}, closedCheckout);
    expect(dir).toBe(path.join(closedCheckout, ".data", "dev-postgres"));
  });

  it("stays in the checkout when the postgres user can reach it", async () => {
    const dir = await devDataDir(DEFAULT_DEV_DATABASE_DIR, postgresUser, () => {}, openCheckout);
    expect(dir).toBe(path.join(openCheckout, ".data", "dev-postgres"));
  });

  it("moves the default out of a checkout the postgres user cannot enter, and says so", async () => {
    const notices: string[] = [];
    const dir = await devDataDir(
      DEFAULT_DEV_DATABASE_DIR,
      postgresUser,
      (message) => notices.push(message),
      closedCheckout,
    );
    expect(dir).toMatch(/^\/var\/tmp\/agency-reporting-[0-9a-f]{12}\/dev-postgres$/);
    expect(notices.join("\n")).toContain(`cannot enter ${path.dirname(closedCheckout)} (mode 700)`);
    // The same checkout finds its data again on the next run.
    expect(await devDataDir(DEFAULT_DEV_DATABASE_DIR, postgresUser, () => {}, closedCheckout)).toBe(
      dir,
    );
  });

  it("uses an explicit DEV_DATABASE_DIR as given, leaving the error to the start", async () => {
    const dir = await devDataDir("my-data", postgresUser, () => {}, closedCheckout);
    expect(dir).toBe(path.join(closedCheckout, "my-data"));
  });
});
