import type { NextConfig } from "next";
import { readEnv } from "./src/env";
import { NON_PAGE_POLICY, staticSecurityHeaders } from "./src/server/security-headers";

// A malformed variable (say DATABASE_URL=mysql://…) fails `next build`/`next start` here rather than
// at the first request. `readEnv()` only checks the values that are set, so a build still needs no
// database and no secrets; what the running server requires is checked at boot (instrumentation).
// Next's config loader (Node 20) resolves this import from the current directory, not this file's:
// run `next` from the project root (docs/deployment.md).
const env = readEnv();

const nextConfig: NextConfig = {
  output: "standalone",
  // Tells attackers the framework and nothing useful to anyone else.
  poweredByHeader: false,
  // Every response, files included (docs/security.md). Evaluated by `next build` (always
  // production) and `next dev`, so HSTS is in every build and never on the dev server.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: staticSecurityHeaders({ production: env.NODE_ENV === "production" }),
      },
      // Pages and API answers get theirs from proxy.ts, which does not run for these.
      ...["/_next/:path*", "/favicon.ico"].map((source) => ({
        source,
        headers: [{ key: "Content-Security-Policy", value: NON_PAGE_POLICY }],
      })),
    ];
  },
  // The boot migrator reads drizzle/ at run time; the key "/**" (not "/") covers every route.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*"] },
};

export default nextConfig;
