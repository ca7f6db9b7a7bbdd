import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";
import { locateSystemTool, skipSummary, toolSearchPath } from "@tools/system-tools";
import { afterAll, describe, expect, it } from "vitest";
import config from "../../vitest.config";
import { REPO_ROOT, startProcess, startScript } from "../support/processes";

// A tool is made missing by pointing the lookup at an empty folder (SYSTEM_TOOLS_PATH, and
// PLAYWRIGHT_BROWSERS_PATH for Playwright's own browser), never by uninstalling it.

const scratch = mkdtempSync(path.join(tmpdir(), "system-tools-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const LOCATE_CHROMIUM = "test/support/fixtures/locate-chromium.ts";
const empty = path.join(scratch, "empty");
mkdirSync(empty);

/** A folder holding an executable file named `name` (never run). */
function folderWith(name: string, mode = 0o755): string {
  const dir = mkdtempSync(path.join(scratch, "bin-"));
  writeFileSync(path.join(dir, name), "#!/bin/sh\nexit 1\n");
  chmodSync(path.join(dir, name), mode);
  return dir;
}

/** Only what a Node-only machine's run would have, plus `env`: no CI unless given. */
const machine = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  NODE_ENV: "test",
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  PLAYWRIGHT_BROWSERS_PATH: empty,
  ...env,
});

describe("locateSystemTool", () => {
  it("finds an executable in SYSTEM_TOOLS_PATH, and nothing in an empty folder", () => {
    const dir = folderWith("pgbouncer");
    expect(locateSystemTool("pgbouncer", { SYSTEM_TOOLS_PATH: `${empty}:${dir}` })).toEqual({
      path: path.join(dir, "pgbouncer"),
      source: "system",
    });
    expect(locateSystemTool("pgbouncer", { SYSTEM_TOOLS_PATH: empty })).toBeUndefined();
  });

  it("passes over a file that is not executable", () => {
    const dir = folderWith("pgbouncer", 0o644);
    expect(locateSystemTool("pgbouncer", { SYSTEM_TOOLS_PATH: dir })).toBeUndefined();
  });

  it("without SYSTEM_TOOLS_PATH, looks in PATH, then in the sbin folders where Debian puts PgBouncer", () => {
    const dir = folderWith("pgbouncer");
    expect(locateSystemTool("pgbouncer", { PATH: dir })?.path).toBe(path.join(dir, "pgbouncer"));
    expect(toolSearchPath({ PATH: `${dir}:/usr/sbin` })).toEqual([
      dir,
      "/usr/sbin",
      "/usr/local/sbin",
      "/sbin",
    ]);
  });

  it("takes the machine's chromium first, then Playwright's own browser, then none", async () => {
    // Playwright's cache layout (chromium-<revision>/chrome-linux64/chrome) under another root.
    const browsers = mkdtempSync(path.join(scratch, "browsers-"));
    const own = path.join(browsers, ...chromium.executablePath().split(path.sep).slice(-3));
    mkdirSync(path.dirname(own), { recursive: true });
    writeFileSync(own, "");
    const system = folderWith("chromium");
    const located = async (toolsPath: string, browsersPath: string) => {
      const run = await startScript(LOCATE_CHROMIUM, [], {
        env: machine({ SYSTEM_TOOLS_PATH: toolsPath, PLAYWRIGHT_BROWSERS_PATH: browsersPath }),
      }).exited;
      expect(run.code, run.output).toBe(0);
      return JSON.parse(run.stdout) as unknown;
    };

    expect(await located(system, browsers)).toEqual({
      path: path.join(system, "chromium"),
      source: "system",
    });
    expect(await located(empty, browsers)).toEqual({ path: own, source: "playwright" });
    expect(await located(empty, empty)).toBeNull();
  });
});

describe("the skip summary", () => {
  const missing = {
    suite: "test/x.test.ts > through PgBouncer",
    reason: "PgBouncer is not installed",
    missing: "pgbouncer" as const,
  };
  const notApplicable = { suite: "test/y.test.ts > as root", reason: "runs only as root" };

  it("names each suite, why, and the install command; a local run passes", () => {
    const { text, fails } = skipSummary([missing, notApplicable], {});
    expect(text).toBe(
      [
        "Skipped suites (2):",
        "  - test/x.test.ts > through PgBouncer: PgBouncer is not installed; install: apt-get install -y pgbouncer",
        "  - test/y.test.ts > as root: runs only as root",
        "With CI=true a suite skipped for a missing tool fails the run.",
      ].join("\n"),
    );
    expect(fails).toBe(false);
  });

  it("fails under CI for a missing tool, never for a suite that does not apply", () => {
    expect(skipSummary([missing, notApplicable], { CI: "true" }).fails).toBe(true);
    expect(skipSummary([notApplicable], { CI: "true" }).fails).toBe(false);
    expect(skipSummary([missing], { CI: "false" }).fails).toBe(false);
  });
});

describe("a vitest run on a machine without PgBouncer", { timeout: 60_000 }, () => {
  const run = (env: Record<string, string>) =>
    startProcess(
      process.execPath,
      [
        path.join(REPO_ROOT, "node_modules/vitest/vitest.mjs"),
        "run",
        "--config",
        "test/support/fixtures/skip-summary/vitest.config.ts",
      ],
      { env: machine(env) },
    ).exited;

  it("is the project's configuration: the skip summary follows the default reporter", () => {
    expect(config.test?.reporters).toEqual([
      "default",
      "./test/support/skip-summary.ts",
      "./test/support/timings-reporter.ts",
    ]);
  });

  it("skips the suite that needs it and passes, ending with the skipped suites, why, and the install commands", async () => {
    const result = await run({ SYSTEM_TOOLS_PATH: empty });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(
      [
        "Skipped suites (4):",
        "  - suites.fixture.ts > through PgBouncer: PgBouncer is not installed; install: apt-get install -y pgbouncer",
        "  - suites.fixture.ts > in session mode: PgBouncer is not installed; install: apt-get install -y pgbouncer",
        "  - suites.fixture.ts > in transaction mode: PgBouncer is not installed; install: apt-get install -y pgbouncer",
        "  - suites.fixture.ts > on another platform: does not apply here",
        "With CI=true a suite skipped for a missing tool fails the run.",
      ].join("\n"),
    );
  });

  it("fails with CI=true, with the same summary", async () => {
    const result = await run({ SYSTEM_TOOLS_PATH: empty, CI: "true" });
    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toContain("through PgBouncer: PgBouncer is not installed");
    expect(result.stdout).toContain(
      "FAILED: with CI=true a suite skipped for a missing tool fails the run.",
    );
  });

  it("runs the suite when the lookup finds PgBouncer, and then lists only what does not apply", async () => {
    const result = await run({ SYSTEM_TOOLS_PATH: folderWith("pgbouncer"), CI: "true" });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("Skipped suites (1):");
    expect(result.stdout).not.toContain("PgBouncer is not installed");
  });
});

describe("npm run test:e2e on a machine without Chromium", { timeout: 30_000 }, () => {
  // --list: were a browser found after all, Playwright would only list the tests.
  const run = (env: Record<string, string>) =>
    startScript("scripts/test-e2e.ts", ["--list"], {
      env: machine({ SYSTEM_TOOLS_PATH: empty, ...env }),
    }).exited;

  it("builds nothing, says how to install Chromium, and passes", async () => {
    const result = await run({});
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toContain(
      "  - npm run test:e2e (e2e/, Playwright): Chromium is not installed; install: npx playwright install chromium",
    );
    expect(result.output).not.toContain("[e2e web server]");
  });

  it("fails with CI=true", async () => {
    const result = await run({ CI: "true" });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("FAILED: with CI=true");
  });
});

describe(".ci/run's list of Debian packages to install", () => {
  const missing = async (toolsPath: string) => {
    const run = await startScript("scripts/system-tools.ts", ["--missing-debian-packages"], {
      env: machine({ SYSTEM_TOOLS_PATH: toolsPath }),
    }).exited;
    expect(run.code, run.output).toBe(0);
    return run.stdout;
  };

  it("names the package of each missing tool, and none when all are there", async () => {
    expect(await missing(empty)).toBe("pgbouncer\npgpool2\nopenssl\nchromium\n");
    const all = folderWith("pgbouncer");
    for (const tool of ["pgpool", "openssl", "chromium"]) {
      writeFileSync(path.join(all, tool), "");
      chmodSync(path.join(all, tool), 0o755);
    }
    expect(await missing(all)).toBe("");
  });
});
