import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The drizzle-orm / drizzle-kit 1.0 pair the package is tested against (install.ts). */
export const DRIZZLE_1_VERSION = "1.0.0-rc.5";
export const DRIZZLE_1_DIR = fileURLToPath(new URL("../../../.data/drizzle-1", import.meta.url));
/** `node --import` this, after tsx, for a process that runs on drizzle 1.0. */
export const DRIZZLE_1_REGISTER = new URL("./register.mjs", import.meta.url).href;
/** The same for the migrator package's imports only (register-package.mjs). */
export const DRIZZLE_1_PACKAGE_REGISTER = new URL("./register-package.mjs", import.meta.url).href;

/** The version of drizzle-orm in DRIZZLE_1_DIR, or undefined. */
export function installedDrizzle1(): string | undefined {
  const manifest = path.join(DRIZZLE_1_DIR, "node_modules", "drizzle-orm", "package.json");
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}
