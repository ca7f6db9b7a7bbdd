import { chooseMigrationsUrl } from "drizzle-boot-migrator";
import { defineConfig } from "drizzle-kit";
import { readEnv } from "./src/env";
import { MIGRATIONS } from "./src/lib/db/migrations-config";

// `generate` and `check` need no database. `drizzle-kit migrate` (kept working: it and the boot
// migrator share drizzle's ledger, so each is a no-op after the other) connects with the same URL
// the migrator would choose, e.g. a direct one rather than the app's pooled DATABASE_URL.
const url = chooseMigrationsUrl(readEnv())?.url;

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/lib/db/schema/index.ts",
  out: `./${MIGRATIONS.out}`,
  migrations: { schema: MIGRATIONS.schema, table: MIGRATIONS.table },
  ...(url ? { dbCredentials: { url } } : {}),
});
