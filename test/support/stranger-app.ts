import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type CommandRun, runCommand } from "@tools/cli/run-command";
import { findFreePort } from "@tools/database-source/free-port";
import { writeMigrationFolder } from "drizzle-boot-migrator/folder";
import { expect } from "vitest";
import { migratorChildEnv } from "./migrator";
import { REPO_ROOT, type RunningProcess, startProcess } from "./processes";

// Another app that uses the migrator package as a stranger would (test/deployment/stranger-app.test.ts):
// the packed tarball installed without network (`npm install --offline`), then `next build` and
// `next start`. drizzle-orm and the app's one driver, with their dependencies, are copied from
// this repository's node_modules (npm's cache holds their tarballs but not the registry metadata
// an offline install of them would need): real copies, so the app has exactly what it installed
// and nothing resolves into the repository. next, react and TypeScript are linked from there;
// none of them depends on a Postgres driver. It is built with webpack, which follows those links
// to their real paths; Turbopack's build of the same app is not covered.

const FIXTURES = path.join(REPO_ROOT, "test/support/fixtures");
export const NEXT_BIN = path.join(REPO_ROOT, "node_modules/next/dist/bin/next");
/** What the app's own install would add besides the package, drizzle-orm and its driver. */
const LINKED = ["next", "react", "react-dom", "typescript", "@types/react", "@types/node"];

const T0 = 1_767_225_600_000;
export const MIGRATIONS = [
  { tag: "0000_notes", when: T0, sql: "CREATE TABLE notes (id serial PRIMARY KEY, body text);" },
  {
    tag: "0001_note-authors",
    when: T0 + 1_000,
    sql: "ALTER TABLE notes ADD COLUMN author text;\n--> statement-breakpoint\nCREATE INDEX notes_author_idx ON notes (author);",
  },
];

export type StrangerDriver = "postgres" | "pg";

/** What an app on each driver installs besides drizzle-orm (pg ships no types of its own). */
const DRIVER_PACKAGES: Record<StrangerDriver, string[]> = {
  postgres: ["postgres"],
  pg: ["pg", "@types/pg"],
};

export interface StrangerLayout {
  driver: StrangerDriver;
  /** The app in `apps/web` of an npm workspace (`workspaces: ["apps/*"]`), installed from its root. */
  workspace: boolean;
}

export interface StrangerApp {
  /** The repository (the workspace root, or the app itself). */
  root: string;
  /** The Next.js app: `next build` ran here. */
  dir: string;
  /** `npm install`'s output. */
  installOutput: string;
}

export async function succeed(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 600_000,
): Promise<CommandRun> {
  const run = await runCommand(command, args, { cwd, timeoutMs });
  expect(run.code, `${command} ${args.join(" ")}:\n${run.output}`).toBe(0);
  return run;
}

/** `npm pack` of the package into `destination`: the tarball's path. */
export async function packMigrator(destination: string): Promise<string> {
  const packageDir = path.join(REPO_ROOT, "packages/drizzle-boot-migrator");
  const pack = await succeed("npm", ["pack", "--pack-destination", destination], packageDir);
  return path.join(destination, pack.stdout.trim().split("\n").at(-1) ?? "");
}

/** `names` and what they depend on, as this repository installed them. */
function withDependencies(names: string[]): string[] {
  const all = new Set<string>();
  const visit = (name: string) => {
    if (all.has(name) || LINKED.includes(name)) return;
    all.add(name);
    const manifestPath = path.join(REPO_ROOT, "node_modules", name, "package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const dependencies = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const dependency of Object.keys(dependencies)) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...all];
}

/**
 * The stranger app in a temporary folder, installed and built: the fixture (with the driver's
 * files over it for `pg`), its two migrations, the tarball, drizzle-orm and the driver; in a
 * workspace, the app is `apps/web` and npm installs from the root.
 */
export async function buildStrangerApp(
  layout: StrangerLayout,
  tarball: string,
): Promise<StrangerApp> {
  const root = await mkdtemp(path.join(os.tmpdir(), `stranger-${layout.driver}-`));
  const dir = layout.workspace ? path.join(root, "apps/web") : root;
  try {
    return { root, dir, installOutput: await installAndBuild(layout, tarball, root, dir) };
  } catch (error) {
    // The describe's afterAll never sees an app that failed to build: remove it here.
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** The fixture in `dir`, installed from `root` and built: `npm install`'s output. */
async function installAndBuild(
  layout: StrangerLayout,
  tarball: string,
  root: string,
  dir: string,
): Promise<string> {
  await cp(path.join(FIXTURES, "stranger-app"), dir, { recursive: true });
  if (layout.driver === "pg") {
    await cp(path.join(FIXTURES, "stranger-app-pg"), dir, { recursive: true });
  }
  writeMigrationFolder(path.join(dir, "drizzle"), MIGRATIONS);
  const workspaceFlags = layout.workspace ? ["--workspace", "apps/web"] : [];
  if (layout.workspace) {
    const manifest = { name: "stranger-monorepo", private: true, workspaces: ["apps/*"] };
    await writeFile(path.join(root, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const install = await succeed(
    "npm",
    [
      "install",
      "--offline",
      "--legacy-peer-deps",
      "--no-audit",
      "--no-fund",
      ...workspaceFlags,
      tarball,
    ],
    root,
  );
  for (const name of withDependencies(["drizzle-orm", ...DRIVER_PACKAGES[layout.driver]])) {
    const from = path.join(REPO_ROOT, "node_modules", name);
    await cp(from, path.join(root, "node_modules", name), { recursive: true });
  }
  for (const name of LINKED) {
    const link = path.join(root, "node_modules", name);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.join(REPO_ROOT, "node_modules", name), link);
  }
  await succeed(process.execPath, [NEXT_BIN, "build", "--webpack"], dir);
  return install.output;
}

export async function removeStrangerApp(app: StrangerApp | undefined): Promise<void> {
  if (app) await rm(app.root, { recursive: true, force: true });
}

export interface StartedServer {
  server: RunningProcess;
  port: number;
}

/** A server on a free port with the migrations' URL: `args` (after `command`) and `cwd` say which. */
export async function startServer(
  command: (port: number) => string[],
  cwd: string,
  url: string,
): Promise<StartedServer> {
  const port = await findFreePort();
  const env = { MIGRATIONS_DATABASE_URL: url, DATABASE_URL: url, NODE_ENV: "production" };
  const server = startProcess(process.execPath, command(port), {
    cwd,
    env: migratorChildEnv({ ...env, PORT: String(port), HOSTNAME: "127.0.0.1" }),
  });
  return { server, port };
}

/** `next start` of `appDir` from `cwd` (the app itself, or the workspace root naming the app). */
export function nextStart(appDir: string, cwd: string, url: string): Promise<StartedServer> {
  const dirArgument = path.relative(cwd, appDir);
  return startServer(
    (port) => [
      NEXT_BIN,
      "start",
      ...(dirArgument ? [dirArgument] : []),
      "--port",
      String(port),
      "--hostname",
      "127.0.0.1",
    ],
    cwd,
    url,
  );
}

/** The page, once the server answers: instrumentation's register() runs before the first. */
export async function page(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return `${response.status} ${await response.text()}`;
}
