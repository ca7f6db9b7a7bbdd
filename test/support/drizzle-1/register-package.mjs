// `node --import <this file>` (after tsx): only the migrator package resolves drizzle-orm to the
// 1.0 pair in .data/drizzle-1; the app's own modules keep its 0.45 pair, since its schema is
// written for 0.45. What the migrator's suite runs on with MIGRATOR_TEST_DRIZZLE=1
// (test/support/drizzle-version.ts); register.mjs moves the whole process to 1.0.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url, {
  data: { importers: [new URL("../../../packages/drizzle-boot-migrator/", import.meta.url).href] },
});
