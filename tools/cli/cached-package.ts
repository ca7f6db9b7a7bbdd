import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "./run-command";

/**
 * One npm package at an exact version, installed with npm into a prefix of its own on first use
 * and kept there: for what `npm ci` must not install for everyone (other Postgres majors, other
 * Node releases). `ready` names a file the installed package must hold; when it exists, nothing
 * is installed. Returns the package's folder.
 */
export async function cachedPackage(options: {
  prefix: string;
  name: string;
  version: string;
  ready: string;
  /** The package's own install script is needed (npm runs no scripts it was not allowed). */
  allowScripts?: boolean;
}): Promise<string> {
  const { prefix, name, version } = options;
  const packageDir = path.join(prefix, "node_modules", name);
  if (existsSync(path.join(packageDir, options.ready))) return packageDir;
  await mkdir(prefix, { recursive: true });
  await writeFile(
    path.join(prefix, "package.json"),
    JSON.stringify(
      { private: true, ...(options.allowScripts ? { allowScripts: { [name]: true } } : {}) },
      null,
      2,
    ),
  );
  const install = await runCommand(
    "npm",
    ["install", "--save-exact", "--no-audit", "--no-fund", `${name}@${version}`],
    { cwd: prefix, timeoutMs: 600_000 },
  );
  if (install.code !== 0) {
    throw new Error(`Installing ${name}@${version} into ${prefix} failed:\n${install.output}`);
  }
  return packageDir;
}
