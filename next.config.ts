import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  output: "standalone",
  // The boot migrator reads drizzle/ at run time; the key "/**" (not "/") covers every route.
  outputFileTracingIncludes: { "/**": ["./drizzle/**/*"] },
};

export default nextConfig;
