import {
  DRIZZLE_1_PACKAGE_REGISTER,
  DRIZZLE_1_VERSION,
  installedDrizzle1,
} from "./drizzle-1/paths";

/**
 * The drizzle-orm the migrator package runs on in its database suite: `MIGRATOR_TEST_DRIZZLE`
 * (the vitest project `drizzle-1-suite` of `npm run test:drizzle-1` sets `1`; docs/testing.md),
 * the app's 0.45 by default. On 1.0 the fixtures' folders are in 1.0's layout (a directory per
 * migration, which names it), and the package's imports of drizzle resolve to the pair in
 * .data/drizzle-1, in the tests' process (vitest.config.ts) and in every process they start
 * (register-package.mjs). The app's own modules stay on 0.45: its schema is written for 0.45.
 */
export const TEST_DRIZZLE = parseDrizzle(process.env.MIGRATOR_TEST_DRIZZLE);

function parseDrizzle(value: string | undefined): "0.45" | "1" {
  if (value === undefined || value === "" || value === "0.45") return "0.45";
  if (value === "1") {
    // Without the pair the package would quietly resolve the app's 0.45.
    const found = installedDrizzle1();
    if (found !== DRIZZLE_1_VERSION) {
      throw new Error(
        `MIGRATOR_TEST_DRIZZLE=1 needs drizzle-orm ${DRIZZLE_1_VERSION} in .data/drizzle-1 ` +
          `(found: ${found ?? "none"}); run \`npm run test:drizzle-1\`, which installs it first.`,
      );
    }
    return "1";
  }
  throw new Error(`MIGRATOR_TEST_DRIZZLE=${value}: expected 0.45 or 1`);
}

/** `--import`s after tsx's for a migrator process of this run. */
export const DRIZZLE_IMPORTS: string[] = TEST_DRIZZLE === "1" ? [DRIZZLE_1_PACKAGE_REGISTER] : [];
