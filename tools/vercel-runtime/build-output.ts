import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The parts of a Build Output API v3 folder (`.vercel/output`) that the local runtime reads:
 * `config.json` (routes, overrides of static files), `static/`, and `functions/<name>.func/` with
 * their `.vc-config.json`.
 */

export type Phase = "filesystem" | "miss" | "rewrite" | "resource" | "hit" | "error";

export interface Condition {
  type: "header" | "cookie" | "query" | "host";
  key?: string;
  value?: string;
}

export interface Route {
  src?: string;
  dest?: string;
  headers?: Record<string, string>;
  status?: number;
  continue?: boolean;
  check?: boolean;
  handle?: Phase;
  has?: Condition[];
  missing?: Condition[];
  methods?: string[];
  middlewarePath?: string;
  important?: boolean;
  transforms?: {
    type: string;
    op: string;
    target: { key: string };
    args?: string | string[];
  }[];
}

export interface BuildOutputConfig {
  version: number;
  routes?: Route[];
  overrides?: Record<string, { path?: string; contentType?: string }>;
}

export interface FunctionConfig {
  handler: string;
  runtime: string;
  launcherType?: string;
  /** The handler takes a Web `Request` and returns a `Response` (Next's middleware). */
  useWebApi?: boolean;
  environment?: Record<string, string>;
  /** Files of the function that live outside its folder: path in the function → path in the project. */
  filePathMap?: Record<string, string>;
}

export interface BuildOutput {
  dir: string;
  /** The project root that `filePathMap` paths are relative to (the folder holding `.vercel`). */
  projectRoot: string;
  config: BuildOutputConfig;
}

export function readBuildOutput(dir: string): BuildOutput {
  const configFile = path.join(dir, "config.json");
  if (!existsSync(configFile)) {
    throw new Error(
      `${dir} is not a Build Output folder: it has no config.json (run vercel build)`,
    );
  }
  const config = JSON.parse(readFileSync(configFile, "utf8")) as BuildOutputConfig;
  if (config.version !== 3) {
    throw new Error(`${configFile}: Build Output API version ${config.version}, expected 3`);
  }
  return { dir, projectRoot: path.resolve(dir, "../.."), config };
}

/** The function serving `pathname` (`/api/health` → `functions/api/health.func`), if any. */
export function functionAt(output: BuildOutput, pathname: string): string | undefined {
  const name = pathname === "/" ? "/index" : pathname.replace(/\/$/, "");
  const dir = path.join(output.dir, "functions", `${decodeURIComponent(name)}.func`);
  if (!isInside(output.dir, dir) || !existsSync(path.join(dir, ".vc-config.json"))) {
    return undefined;
  }
  // Next links its `.rsc` functions to the page's own folder: one function, one set of instances.
  return realpathSync(dir);
}

export function readFunctionConfig(functionDir: string): FunctionConfig {
  return JSON.parse(
    readFileSync(path.join(functionDir, ".vc-config.json"), "utf8"),
  ) as FunctionConfig;
}

export interface StaticFile {
  file: string;
  contentType: string | undefined;
}

/** The file of `static/` served at `pathname`, directly or renamed by `config.overrides`. */
export function staticFileAt(output: BuildOutput, pathname: string): StaticFile | undefined {
  const wanted = decodeURIComponent(pathname).replace(/^\/+/, "");
  for (const [file, override] of Object.entries(output.config.overrides ?? {})) {
    if (override.path === wanted) {
      return { file: path.join(output.dir, "static", file), contentType: override.contentType };
    }
  }
  const file = path.join(output.dir, "static", wanted);
  if (wanted === "" || !isInside(output.dir, file) || !isFile(file)) return undefined;
  return { file, contentType: output.config.overrides?.[wanted]?.contentType };
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return !relative.startsWith("..") && !path.isAbsolute(relative);
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}
