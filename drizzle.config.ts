import { defineConfig } from "drizzle-kit";
import { readEnv } from "./src/env";

// `generate` and `check` need no database; `drizzle-kit migrate` (kept working so it interoperates
// with the boot migrator) connects with the app's URL.
const url = readEnv().DATABASE_URL;

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/lib/db/schema/index.ts",
  out: "./drizzle",
  ...(url ? { dbCredentials: { url } } : {}),
});
