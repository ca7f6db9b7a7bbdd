import type { NextConfig } from "next";
import { readEnv } from "./src/env";

// A malformed variable (say DATABASE_URL=mysql://…) fails `next build`/`next start` here rather than
// at the first request. `readEnv()` only checks the values that are set, so a build still needs no
// database and no secrets; what the running server requires is checked at boot (instrumentation).
// Next's config loader (Node 20) resolves this import from the current directory, not this file's:
// run `next` from the project root (docs/deployment.md).
readEnv();

const nextConfig: NextConfig = {
  output: "standalone",
  // The boot migrator reads drizzle/ at run time; the key "/**" (not "/") covers every route.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*"] },
};

export default nextConfig;
