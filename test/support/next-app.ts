import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { cachedBuild } from "@tools/cli/build-cache";
import { findFreePort } from "@tools/database-source/free-port";
import { removeNewestMigration } from "drizzle-boot-migrator/folder";
import { REPO_ROOT, type RunningProcess, startProcess } from "./processes";

/**
 * Real `next dev` / `next build` / `next start` / standalone `server.js` processes for tests. The build runs in
 * a copy of the app outside the repository, so a test never races another `next build` over the
 * repository's `.next`, and a test may change the copy's `drizzle/` freely.
 */

/**
 * What `next build` and `next start` read; a new top-level file the app needs belongs here. An
 * allow-list on purpose: a developer's `.env*` must not reach the server under test (Next loads
 * them, and a MIGRATIONS_DATABASE_URL there would win over the test's database), and tests, e2e
 * and scripts stay out of the build's type check.
 */
const appEntries = [
  "app",
  "src",
  // The workspace package: tsconfig.json's `paths` send its entry points to its source.
  "packages",
  "drizzle",
  "public",
  // What `npm run build` and `npm start` run besides Next.
  "scripts/standalone-assets.ts",
  "scripts/start.mjs",
  "instrumentation.ts",
  "proxy.ts",
  "next.config.ts",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
];

export interface AppCopy {
  /** The copy's root: `next dev` and `next start` run here; `.next/standalone` holds the standalone server. */
  dir: string;
  remove(): Promise<void>;
}

export interface BuiltApp extends AppCopy {
  buildOutput: string;
}

/** The app's files (and a hard-linked node_modules) in a temporary directory. */
export async function copyApp(): Promise<AppCopy> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "next-app-"));
  await copyAppInto(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function copyAppInto(dir: string): Promise<void> {
  for (const entry of appEntries) {
    if (await exists(path.join(REPO_ROOT, entry))) {
      await cp(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
    }
  }
  await linkNodeModules(dir);
}

async function linkNodeModules(dir: string): Promise<void> {
  // Turbopack refuses a node_modules symlinked from outside the project; hard links cost ~0.3 s.
  await succeed("cp", [
    "-al",
    path.join(REPO_ROOT, "node_modules"),
    path.join(dir, "node_modules"),
  ]);
}

/**
 * A production build of the app in a directory of the caller's own. The build itself is made once
 * per content of `appEntries` and shared (tools/cli/build-cache.ts): the attack suite, the boot,
 * production and deployment tests and the Playwright run need the same build, and each `next
 * build` costs a core for a minute or more here. Each caller gets a copy, so a test may still
 * change its `drizzle/` or run `next start` in it.
 */
export async function buildAppCopy(): Promise<BuiltApp> {
  const built = await sharedBuild();
  const dir = await mkdtemp(path.join(os.tmpdir(), "next-app-"));
  await cp(built, dir, {
    recursive: true,
    // node_modules is linked again below; Next's build cache is only read by a later build.
    filter: (source) => !["node_modules", ".next/cache"].includes(path.relative(built, source)),
  });
  await linkNodeModules(dir);
  const buildOutput = await readFile(path.join(dir, BUILD_OUTPUT), "utf8");
  return { dir, buildOutput, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The standalone server of the shared production build, copied as a deploy ships it
 * (`copyStandalone`), for a caller that runs nothing else of the build: the rest of it (90 MB and
 * a hard-linked node_modules) is not copied.
 */
export async function buildStandaloneCopy(): Promise<{ dir: string; remove(): Promise<void> }> {
  return copyStandalone({ dir: await sharedBuild() });
}

/** The build of the app's current sources, made once and kept (tools/cli/build-cache.ts). */
async function sharedBuild(): Promise<string> {
  return cachedBuild({
    root: APP_BUILD_CACHE,
    // A build belongs to the Node that made it (npm run test:node-versions builds on each major).
    key: `${await appSourceHash()}-node${process.versions.node.split(".")[0]}`,
    keepMs: 24 * 3600 * 1000,
    build: async (dir) => {
      await copyAppInto(dir);
      // `npm run build`, as a deploy runs it: next build, then the standalone server's assets.
      const output = await succeed("npm", ["run", "build"], { cwd: dir, env: baseEnv({}) });
      await writeFile(path.join(dir, BUILD_OUTPUT), output);
    },
  });
}

const APP_BUILD_CACHE = path.join(os.tmpdir(), "agency-reporting-app-builds");
const BUILD_OUTPUT = ".build-output.txt";

/** A hash of everything `appEntries` copies: the same sources make the same build. */
async function appSourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const entry of appEntries) {
    const root = path.join(REPO_ROOT, entry);
    if (!(await exists(root))) continue;
    const files = (await stat(root)).isDirectory()
      ? (await readdir(root, { recursive: true, withFileTypes: true }))
          .filter((file) => file.isFile())
          .map((file) => path.join(file.parentPath, file.name))
      : [root];
    for (const file of files.sort()) {
      hash
        .update(path.relative(REPO_ROOT, file))
        .update("\0")
        .update(await readFile(file));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/** The standalone server copied elsewhere, as a deploy would ship it (with its static files). */
export async function copyStandalone(
  app: Pick<BuiltApp, "dir">,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "next-standalone-"));
  await cp(path.join(app.dir, ".next/standalone"), dir, { recursive: true });
  await cp(path.join(app.dir, ".next/static"), path.join(dir, ".next/static"), { recursive: true });
  if (await exists(path.join(app.dir, "public"))) {
    await cp(path.join(app.dir, "public"), path.join(dir, "public"), { recursive: true });
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * What a production host gets: `package.json`, the lock file, `scripts/start.mjs` and the build's
 * `.next` (without Next's build cache) in a directory of its own, then `npm ci --omit=dev`.
 */
export async function installProductionCopy(
  app: BuiltApp,
): Promise<{ dir: string; installOutput: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "next-production-"));
  for (const entry of ["package.json", "package-lock.json", "scripts/start.mjs"]) {
    await cp(path.join(app.dir, entry), path.join(dir, entry));
  }
  await cp(path.join(app.dir, ".next"), path.join(dir, ".next"), {
    recursive: true,
    filter: (source) => source !== path.join(app.dir, ".next/cache"),
  });
  const installOutput = await succeed(
    "npm",
    ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"],
    { cwd: dir, env: baseEnv({}) },
  );
  return { dir, installOutput, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A copy of `drizzleDir` without its newest migration: the folder of the release before it, to
 * leave a database one migration behind. `remove()` deletes the copy.
 */
export async function migrationsWithoutNewest(
  drizzleDir: string,
): Promise<{ dir: string; newest: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "drizzle-older-"));
  await cp(drizzleDir, dir, { recursive: true });
  const newest = removeNewestMigration(dir);
  return { dir, newest: newest.tag, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ServerProcess extends Pick<RunningProcess, "output" | "waitForOutput" | "stop"> {
  url: string;
  /** The spawned process (for `standalone`, the server itself; the bench reads its CPU time). */
  pid: number | undefined;
  /** Resolves with the exit code (null when killed by a signal): what the boot tests and bench judge. */
  exited: Promise<number | null>;
}

export type ServerKind = "next start" | "standalone" | "npm start";

/**
 * Starts `next dev` or `next start` (in an app copy) or `node server.js` (in a standalone copy) on a free port,
 * with only the variables given: the test runner's own environment (TEST_DATABASE_URL, a developer's
 * MIGRATIONS_DATABASE_URL…) must not leak into the server under test.
 */
export async function startServer(
  kind: ServerKind | "next dev",
  dir: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const port = await findFreePort();
  const [command, args] =
    kind === "standalone"
      ? [process.execPath, ["server.js"]]
      : kind === "npm start"
        ? ["npm", ["start"]]
        : [
            process.execPath,
            [
              nextBin(dir),
              kind.slice("next ".length),
              "--port",
              String(port),
              "--hostname",
              "127.0.0.1",
            ],
          ];
  const server = startProcess(command, args, {
    ownProcessGroup: kind === "npm start",
    cwd: dir,
    env: baseEnv({
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      ...(kind === "next dev"
        ? { NODE_ENV: "development" }
        : {
            // A production server refuses to boot without these (src/lib/auth/settings.ts).
            BETTER_AUTH_SECRET: "next-app-test-server-secret-5f0c9a1e7b3d",
            BETTER_AUTH_URL: `http://127.0.0.1:${port}`,
            HEALTH_TOKEN: HEALTH_TEST_TOKEN,
          }),
      ...env,
    }),
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: server.child.pid,
    output: server.output,
    exited: server.exited.then((result) => result.code),
    waitForOutput: server.waitForOutput,
    stop: server.stop,
  };
}

/** Runs a command to its end; its output, or an error with that output if it failed. */
async function succeed(
  command: string,
  args: string[],
  options?: Parameters<typeof startProcess>[2],
): Promise<string> {
  const { code, signal, output } = await startProcess(command, args, options).exited;
  if (code !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.join(" ")} failed (${signal ?? code}):\n${output}`,
    );
  }
  return output;
}

/** The HEALTH_TOKEN of servers under test: `/api/health` shows its details to `asOperator`. */
export const HEALTH_TEST_TOKEN = "next-app-test-health-token-8c2e4b6a";
export const asOperator = { authorization: `Bearer ${HEALTH_TEST_TOKEN}` };

/** A request that never throws: status 0 when nothing answered (port closed, reset). */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: "" };
  }
}

function nextBin(dir: string): string {
  return path.join(dir, "node_modules/next/dist/bin/next");
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    ...extra,
  };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
