import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCommand } from "@tools/cli/run-command";
import { findFreePort } from "@tools/database-source/free-port";
import {
  appendMigration,
  DRIZZLE_LEDGER,
  writeMigrationFolder,
} from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { ledgerWhens, migratorChildEnv, tableExists } from "../support/migrator";
import { REPO_ROOT, type RunningProcess, startProcess } from "../support/processes";

// Another app uses the package as a stranger would: `npm pack`, the tarball installed without
// network (`npm install --offline`) into a minimal Next.js app outside this repository
// (test/support/fixtures/stranger-app: its own two migrations, the README's few lines of
// instrumentation.ts, one page), `next build`, then `next start`. The tarball is all it installs;
// next, react, drizzle-orm, postgres and TypeScript are linked from this repository's
// node_modules, which `npm ci` filled (so nothing is fetched). It is built with webpack, which
// follows those links to their real paths; Turbopack's build of the same app is not covered.

const PACKAGE_DIR = path.join(REPO_ROOT, "packages/drizzle-boot-migrator");
const FIXTURE = path.join(REPO_ROOT, "test/support/fixtures/stranger-app");
const NEXT_BIN = path.join(REPO_ROOT, "node_modules/next/dist/bin/next");
const T0 = 1_767_225_600_000;
const MIGRATIONS = [
  { tag: "0000_notes", when: T0, sql: "CREATE TABLE notes (id serial PRIMARY KEY, body text);" },
  {
    tag: "0001_note-authors",
    when: T0 + 1_000,
    sql: "ALTER TABLE notes ADD COLUMN author text;\n--> statement-breakpoint\nCREATE INDEX notes_author_idx ON notes (author);",
  },
];
const WHENS = MIGRATIONS.map((migration) => migration.when);
/** What the app's own install would add besides the tarball: the peers, Next, TypeScript. */
const LINKED = [
  "next",
  "react",
  "react-dom",
  "drizzle-orm",
  "postgres",
  "typescript",
  "@types/react",
  "@types/node",
];

let app: string;
let packs: string;
const cleanup: (() => Promise<unknown>)[] = [];

async function succeed(command: string, args: string[], cwd: string, timeoutMs = 600_000) {
  const run = await runCommand(command, args, { cwd, timeoutMs });
  expect(run.code, `${command} ${args.join(" ")}:\n${run.output}`).toBe(0);
  return run;
}

beforeAll(async () => {
  packs = await mkdtemp(path.join(os.tmpdir(), "stranger-pack-"));
  const pack = await succeed("npm", ["pack", "--pack-destination", packs], PACKAGE_DIR);
  const tarball = path.join(packs, pack.stdout.trim().split("\n").at(-1) ?? "");

  app = await mkdtemp(path.join(os.tmpdir(), "stranger-app-"));
  await cp(FIXTURE, app, { recursive: true });
  writeMigrationFolder(path.join(app, "drizzle"), MIGRATIONS);
  await succeed(
    "npm",
    ["install", "--offline", "--legacy-peer-deps", "--no-audit", "--no-fund", tarball],
    app,
  );
  for (const name of LINKED) {
    await mkdir(path.dirname(path.join(app, "node_modules", name)), { recursive: true });
    await symlink(path.join(REPO_ROOT, "node_modules", name), path.join(app, "node_modules", name));
  }
  await succeed(process.execPath, [NEXT_BIN, "build", "--webpack"], app);
}, 900_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  if (app) await rm(app, { recursive: true, force: true });
  if (packs) await rm(packs, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanup.push(() => db.drop());
  return db;
}

async function nextStart(url: string): Promise<{ server: RunningProcess; port: number }> {
  const port = await findFreePort();
  const server = startProcess(
    process.execPath,
    [NEXT_BIN, "start", "--port", String(port), "--hostname", "127.0.0.1"],
    { cwd: app, env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: url, NODE_ENV: "production" }) },
  );
  cleanup.push(() => server.stop());
  return { server, port };
}

/** The page, once the server answers: instrumentation's register() runs before the first. */
async function page(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return `${response.status} ${await response.text()}`;
}

describe("a second Next.js app installs the packed package", () => {
  test("four concurrent starts apply its migrations once, and each serves its page", async () => {
    const db = await database();
    const servers = await Promise.all([1, 2, 3, 4].map(() => nextStart(db.url)));
    await Promise.all(servers.map(({ server }) => server.waitForOutput(/Ready in/, 120_000)));

    const pages = await Promise.all(servers.map(({ port }) => page(port)));
    for (const served of pages) expect(served).toMatch(/^200 .*stranger app/s);
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
    const appliers = servers.filter(({ server }) =>
      /committed 2 migration\(s\)/.test(server.output()),
    );
    expect(appliers, servers.map(({ server }) => server.output()).join("\n---\n")).toHaveLength(1);
  });

  test("a plain Node worker (no Next) applies them with the same package", async () => {
    const db = await database();
    const worker = await runCommand(process.execPath, ["worker.mjs"], {
      cwd: app,
      env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: db.url }),
    });

    expect(worker.code, worker.output).toBe(0);
    expect(worker.stdout).toContain("worker: 2 migrations, 2 applied now");
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
  });

  // With the README's few lines, register() rejects: `next start` stays up and answers 500.
  test("a broken migration fails the boot with MIGRATION_FAILED, naming it, and writes nothing", async () => {
    appendMigration(
      path.join(app, "drizzle"),
      "0002_broken",
      "ALTER TABLE no_such_table ADD x int;",
    );
    const db = await database();
    const { server, port } = await nextStart(db.url);
    await server.waitForOutput(/Ready in/, 120_000);

    const served = await page(port).catch((error: unknown) => String(error));
    expect(served).toMatch(/^500 /);
    expect(server.output()).toContain("MIGRATION_FAILED");
    expect(server.output()).toContain("0002_broken.sql");
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual([]);
    expect(await tableExists(db.url, "notes")).toBe(false);
  });
});
