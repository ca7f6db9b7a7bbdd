import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findInvitation } from "@/lib/invitations/accept";
import { hashInviteToken } from "@/lib/invitations/tokens";
import { createTestDatabase } from "../support/database";
import { migratedDatabaseForFile } from "../support/migrated-database";
import { type ProcessResult, startScript } from "../support/processes";
import { snapshotTables } from "../support/tenancy";

const BASE = "https://reports.example.com";
const LINK = /https:\/\/reports\.example\.com\/invite\/([A-Za-z0-9_-]{43})/;

const database = migratedDatabaseForFile();

/** `npm run admin:create -- …` as a real process, with exactly this environment. */
function adminCreate(
  args: string[],
  env: Record<string, string> = { DATABASE_URL: database.url, BETTER_AUTH_URL: BASE },
): Promise<ProcessResult> {
  return startScript("scripts/admin-create.ts", args, {
    env: { PATH: process.env.PATH, NODE_ENV: "test", ...env },
  }).exited;
}

describe("npm run admin:create", () => {
  const email = "ada@example.com";
  let firstToken = "";

  it("creates an invited agency admin and prints a one-time link on BETTER_AUTH_URL", async () => {
    const run = await adminCreate(["--email", "Ada@Example.com", "--name", "Ada Admin"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`Invited ${email} as agency admin.`);
    firstToken = LINK.exec(run.output)?.[1] ?? "";
    expect(firstToken).not.toBe("");

    const { userRows, membershipRows } = await snapshotTables(database.db);
    expect(userRows).toEqual([
      expect.objectContaining({
        email,
        name: "Ada Admin",
        status: "invited",
        inviteToken: hashInviteToken(firstToken),
      }),
    ]);
    expect(membershipRows).toEqual([
      expect.objectContaining({ tenantId: null, role: "agency_admin", invitedByUserId: null }),
    ]);
    expect(await findInvitation(firstToken, database.db)).toMatchObject({
      state: "valid",
      email,
      grants: [{ tenantName: null, role: "agency_admin", invitedByName: null }],
    });
  });

  it("changes nothing on a second run for the same email, and says so", async () => {
    const before = await snapshotTables(database.db);
    const run = await adminCreate(["--email", email, "--name", "Someone Else"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      `${email} is already an agency admin (status: invited). Nothing changed.`,
    );
    expect(run.output).not.toMatch(LINK);
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("replaces a lost link with --new-link: the old one stops working", async () => {
    const run = await adminCreate(["--email", email, "--name", "Ada Admin", "--new-link"]);
    expect(run.code, run.output).toBe(0);
    const token = LINK.exec(run.output)?.[1] ?? "";
    expect(token).not.toBe(firstToken);
    expect(await findInvitation(firstToken, database.db)).toEqual({ state: "invalid" });
    expect(await findInvitation(token, database.db)).toMatchObject({ state: "valid", email });
  });

  it.each([
    [["--email", "not-an-email", "--name", "X"], "Enter a valid email address."],
    [["--email", "x@example.com"], "--email and --name are required."],
    [["--email", "x@example.com", "--name", "X", "--admin"], "Unknown option '--admin'"],
  ])("refuses %j with exit code 2 and writes nothing", async (args, message) => {
    const before = await snapshotTables(database.db);
    const run = await adminCreate(args);
    expect(run.code).toBe(2);
    expect(run.output).toContain(message);
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("says to migrate first when the database has no tables", async () => {
    const empty = await createTestDatabase();
    try {
      const run = await adminCreate(["--email", "x@example.com", "--name", "X"], {
        DATABASE_URL: empty.url,
        BETTER_AUTH_URL: BASE,
      });
      expect(run.code).toBe(1);
      expect(run.output).toContain("The database has no tables yet: run `npm run db:migrate`");
    } finally {
      await empty.drop();
    }
  });

  it("without DATABASE_URL uses the dev database of npm run dev, and says so", async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "admin-create-dev-"));
    // As root, Postgres runs as the postgres user, which must enter every parent of a data dir.
    await chmod(scratch, 0o755);
    try {
      const dataDir = path.join(scratch, "dev-postgres");
      const run = await adminCreate(["--email", "x@example.com", "--name", "X"], {
        DEV_DATABASE_DIR: dataDir,
      });

      expect(run.output).toContain(`started the dev database in ${dataDir} for this command`);
      // A dev database nobody has migrated yet: the usual advice.
      expect(run.code).toBe(1);
      expect(run.output).toContain("run `npm run db:migrate`");
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
