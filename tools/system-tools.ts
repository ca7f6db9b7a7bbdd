import { accessSync, constants, existsSync, statSync } from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";

/**
 * The programs some tests need from the machine rather than from npm: where they are looked for,
 * and the command that installs each. A suite that needs one that is missing is skipped and named
 * in the run's closing summary; with CI set, that skip fails the run (docs/testing.md).
 */

export type SystemToolName = "pgbouncer" | "pgpool" | "openssl" | "chromium";

/** `process.env`, or the variables a test gives instead. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface SystemTool {
  /** The program, as a person knows it. */
  label: string;
  install: string;
  /** What a Debian machine that cannot download Playwright's browser installs (.ci/run). */
  debianPackage: string;
}

export const SYSTEM_TOOLS: Record<SystemToolName, SystemTool> = {
  pgbouncer: {
    label: "PgBouncer",
    install: "apt-get install -y pgbouncer",
    debianPackage: "pgbouncer",
  },
  // The second pooler: pgpool-II as a session pooler (it has no transaction pooling).
  pgpool: {
    label: "pgpool-II",
    install: "apt-get install -y pgpool2",
    debianPackage: "pgpool2",
  },
  // Makes the self-signed certificate of a test server that accepts only TLS.
  openssl: {
    label: "OpenSSL",
    install: "apt-get install -y openssl",
    debianPackage: "openssl",
  },
  // Playwright's download works on any Linux; Debian's chromium where downloads do not.
  chromium: {
    label: "Chromium",
    install: "npx playwright install chromium",
    debianPackage: "chromium",
  },
};

export interface LocatedTool {
  path: string;
  /** The machine's own program, or the browser Playwright downloaded into its cache. */
  source: "system" | "playwright";
}

/** `sbin` folders are often not on a user's PATH, and Debian installs both poolers there. */
const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/**
 * Where programs are looked for: SYSTEM_TOOLS_PATH (PATH syntax) when set, which lets a test make
 * a tool missing without uninstalling it; otherwise PATH and the sbin folders.
 */
export function toolSearchPath(env: Environment): string[] {
  const listed = env.SYSTEM_TOOLS_PATH ?? [env.PATH ?? "", ...SBIN].join(path.delimiter);
  return [...new Set(listed.split(path.delimiter).filter(Boolean))];
}

function executableIn(dirs: readonly string[], name: string): string | undefined {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here, or not executable: the next folder may have it
    }
  }
  return undefined;
}

/**
 * The program, or undefined when the machine lacks it. Chromium falls back on Playwright's own
 * browser (its cache honours PLAYWRIGHT_BROWSERS_PATH).
 */
export function locateSystemTool(name: SystemToolName, env: Environment): LocatedTool | undefined {
  const system = executableIn(toolSearchPath(env), name);
  if (system) return { path: system, source: "system" };
  if (name === "chromium" && existsSync(chromium.executablePath())) {
    return { path: chromium.executablePath(), source: "playwright" };
  }
  return undefined;
}

/** CI sets CI=true (GitHub Actions, GitLab, .ci/run); "false" or "0" mean a local run. */
export function isCi(env: Environment): boolean {
  return !!env.CI && env.CI !== "false" && env.CI !== "0";
}

export interface SkippedSuite {
  /** The suite as a person finds it: a file and describe name, or a command. */
  suite: string;
  /** Why it did not run: a missing tool, or a condition it does not apply under. */
  reason: string;
  /** Set when the skip is for a missing tool. */
  missing?: SystemToolName;
}

export function missingToolSkip(suite: string, tool: SystemToolName): SkippedSuite {
  return { suite, reason: `${SYSTEM_TOOLS[tool].label} is not installed`, missing: tool };
}

/**
 * The closing summary of a run that skipped suites, and whether the skips fail it: a missing tool
 * does under CI, which must run everything; a suite that does not apply here never does.
 */
export function skipSummary(
  skipped: readonly SkippedSuite[],
  env: Environment,
): { text: string; fails: boolean } {
  if (skipped.length === 0) return { text: "", fails: false };
  const fails = isCi(env) && skipped.some((skip) => skip.missing);
  const lines = skipped.map((skip) => {
    const install = skip.missing ? `; install: ${SYSTEM_TOOLS[skip.missing].install}` : "";
    return `  - ${skip.suite}: ${skip.reason}${install}`;
  });
  const verdict = fails
    ? ["FAILED: with CI=true a suite skipped for a missing tool fails the run."]
    : skipped.some((skip) => skip.missing)
      ? ["With CI=true a suite skipped for a missing tool fails the run."]
      : [];
  return { text: [`Skipped suites (${skipped.length}):`, ...lines, ...verdict].join("\n"), fails };
}

/**
 * For a command that can do nothing without `tool`: undefined when the tool is there; otherwise it
 * prints the summary for `suite` and returns the exit code to end with (1 under CI, else 0).
 */
export function skipWithout(
  tool: SystemToolName,
  suite: string,
  env: Environment,
): number | undefined {
  if (locateSystemTool(tool, env)) return undefined;
  const summary = skipSummary([missingToolSkip(suite, tool)], env);
  console.error(summary.text);
  return summary.fails ? 1 : 0;
}
