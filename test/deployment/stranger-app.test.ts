import { access, cp, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { runCommand } from "@tools/cli/run-command";
import { appendMigration, DRIZZLE_LEDGER } from "drizzle-boot-migrator/folder";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { ledgerWhens, migratorChildEnv, tableExists } from "../support/migrator";
import {
  buildStrangerApp,
  MIGRATIONS,
  nextStart,
  packMigrator,
  page,
  removeStrangerApp,
  type StartedServer,
  type StrangerApp,
  type StrangerLayout,
  startServer,
} from "../support/stranger-app";

// Another app uses the package as a stranger would (test/support/stranger-app.ts): `npm pack`,
// the tarball installed offline into a minimal Next.js app outside this repository
// (test/support/fixtures/stranger-app: its own two migrations, the README's instrumentation.ts
// with the folder resolved as its "monorepos and standalone output" section shows, one page),
// `next build`, then `next start`. Two builds, each a driver and a layout: postgres.js in
// `apps/web` of an npm workspace, with standalone output; node-postgres (`pgDriver`, and
// drizzle-orm/node-postgres for the page; test/support/fixtures/stranger-app-pg) in a plain folder
// with no postgres.js installed. stranger-app-pg holds only the files laid over stranger-app, so
// the repository's tsconfig.json leaves it out; the app's `next build` type-checks it.

const WHENS = MIGRATIONS.map((migration) => migration.when);

let packs: string;
let tarball: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  packs = await mkdtemp(path.join(os.tmpdir(), "stranger-pack-"));
  tarball = await packMigrator(packs);
}, 300_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  if (packs) await rm(packs, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanup.push(() => db.drop());
  return db;
}

/** Servers a test started, stopped after it so that none runs through the next build. */
const running: StartedServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map(({ server }) => server.stop()));
});

function stopLater(started: StartedServer): StartedServer {
  running.push(started);
  return started;
}

const ready = (started: StartedServer) => started.server.waitForOutput(/Ready in/, 120_000);

/**
 * The stranger app of `layout`, built once for the tests of this describe (the getter is for
 * tests, which run after the build): the tests every app passes, `extraTests`, then the broken
 * migration, last since it adds a migration to the app's folder.
 */
function describeStrangerApp(
  title: string,
  layout: StrangerLayout,
  extraTests: (app: () => StrangerApp) => void,
): void {
  describe(`a second Next.js app installs the packed package: ${title}`, () => {
    let built: StrangerApp | undefined;
    const app = () => {
      if (!built) throw new Error("the stranger app was not built");
      return built;
    };
    beforeAll(async () => {
      built = await buildStrangerApp(layout, tarball);
    }, 900_000);
    afterAll(() => removeStrangerApp(built));

    test("npm installs the tarball without warning of its scripts", () => {
      expect(app().installOutput).not.toMatch(/install.scripts/);
    });

    // In a workspace, `next start apps/web` from its root leaves process.cwd() at the root: the
    // folder comes from the app's settings, wherever the server was started.
    test("four concurrent starts (from the app's folder and from the workspace root) apply its migrations once, and each serves its page", async () => {
      const db = await database();
      const cwds = [app().dir, app().root, app().dir, app().root];
      const servers = await Promise.all(
        cwds.map(async (cwd) => stopLater(await nextStart(app().dir, cwd, db.url))),
      );
      await Promise.all(servers.map(ready));

      const pages = await Promise.all(servers.map(({ port }) => page(port)));
      for (const served of pages) expect(served).toMatch(/^200 .*stranger app/s);
      expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
      const outputs = servers.map(({ server }) => server.output());
      const appliers = outputs.filter((output) => /committed 2 migration\(s\)/.test(output));
      expect(appliers, outputs.join("\n---\n")).toHaveLength(1);
    });

    test("a plain Node worker (no Next) applies them with the same package", async () => {
      const db = await database();
      const worker = await runCommand(process.execPath, ["worker.mjs"], {
        cwd: app().dir,
        env: migratorChildEnv({ MIGRATIONS_DATABASE_URL: db.url }),
      });

      expect(worker.code, worker.output).toBe(0);
      expect(worker.stdout).toContain("worker: 2 migrations, 2 applied now");
      expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
    });

    extraTests(app);

    // As the README's instrumentation.ts does, register() rejects: `next start` stays up, answers 500.
    test("a broken migration fails the boot with MIGRATION_FAILED, naming it, and writes nothing", async () => {
      appendMigration(
        path.join(app().dir, "drizzle"),
        "0002_broken",
        "ALTER TABLE no_such_table ADD x int;",
      );
      const db = await database();
      const started = stopLater(await nextStart(app().dir, app().dir, db.url));
      await ready(started);

      const served = await page(started.port).catch((error: unknown) => String(error));
      expect(served).toMatch(/^500 /);
      expect(started.server.output()).toContain("MIGRATION_FAILED");
      expect(started.server.output()).toContain("0002_broken.sql");
      expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual([]);
      expect(await tableExists(db.url, "notes")).toBe(false);
    });
  });
}

describeStrangerApp(
  "postgres.js, the app in apps/web of an npm workspace",
  { driver: "postgres", workspace: true },
  (app) => {
    // `output: "standalone"` keeps the workspace's layout: `.next/standalone/apps/web/server.js`,
    // which changes to its own folder, with the drizzle/ files that next.config.ts's
    // `outputFileTracingIncludes` names beside it.
    test("the standalone server, copied out of the workspace and started from elsewhere, applies its traced drizzle/", async () => {
      const shipped = await mkdtemp(path.join(os.tmpdir(), "stranger-standalone-"));
      cleanup.push(() => rm(shipped, { recursive: true, force: true }));
      await cp(path.join(app().dir, ".next/standalone"), shipped, { recursive: true });
      const serverDir = path.join(shipped, path.relative(app().root, app().dir));
      await access(path.join(serverDir, "drizzle/meta/_journal.json"));
      const db = await database();

      const started = stopLater(
        await startServer(() => [path.join(serverDir, "server.js")], os.tmpdir(), db.url),
      );
      await ready(started);

      expect(await page(started.port)).toMatch(/^200 .*stranger app/s);
      expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
    });
  },
);

describeStrangerApp(
  "node-postgres (pg, drizzle-orm/node-postgres), no postgres.js installed",
  { driver: "pg", workspace: false },
  (app) => {
    test("postgres.js is not installed: nothing in the app resolves it", () => {
      const fromApp = createRequire(path.join(app().dir, "instrumentation.ts"));
      expect(() => fromApp.resolve("postgres")).toThrow(/Cannot find module 'postgres'/);
      expect(fromApp.resolve("pg")).toContain(path.join(app().root, "node_modules/pg/"));
    });
  },
);
