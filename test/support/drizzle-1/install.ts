/**
 * `tsx test/support/drizzle-1/install.ts` (the first step of `npm run test:drizzle-1`): installs
 * drizzle-orm and drizzle-kit 1.0 into .data/drizzle-1 (git-ignored), beside the app's 0.45 pair,
 * so that `npm ci` and the app's lockfile stay as they are. A no-op when that version is there.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DRIZZLE_1_DIR, DRIZZLE_1_VERSION, installedDrizzle1 } from "./paths";

if (installedDrizzle1() === DRIZZLE_1_VERSION) {
  console.log(`[test:drizzle-1] drizzle-orm ${DRIZZLE_1_VERSION} is installed in ${DRIZZLE_1_DIR}`);
} else {
  mkdirSync(DRIZZLE_1_DIR, { recursive: true });
  const manifest = path.join(DRIZZLE_1_DIR, "package.json");
  const wanted = {
    private: true,
    dependencies: { "drizzle-orm": DRIZZLE_1_VERSION, "drizzle-kit": DRIZZLE_1_VERSION },
  };
  if (!existsSync(manifest) || readFileSync(manifest, "utf8") !== JSON.stringify(wanted)) {
    writeFileSync(manifest, JSON.stringify(wanted));
  }
  console.log(`[test:drizzle-1] installing drizzle-orm and drizzle-kit ${DRIZZLE_1_VERSION}`);
  execFileSync(
    "npm",
    ["install", "--prefix", DRIZZLE_1_DIR, "--no-audit", "--no-fund", "--prefer-offline"],
    { stdio: "inherit" },
  );
}
