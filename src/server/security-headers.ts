/**
 * The security headers of every response (docs/security.md). Pages get a Content-Security-Policy
 * with a fresh nonce per request from `proxy.ts` (Next puts that nonce on its own scripts); the
 * rest are the same for every response and come from `next.config.ts`.
 */

/** The policy for a page rendered with `nonce`. */
export function contentSecurityPolicy(nonce: string, options: { development: boolean }): string {
  const directives = [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonced ones load are trusted; nothing inline without the nonce.
    // React's development build evaluates code (call stacks, fast refresh): `next dev` only.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  return directives.join("; ");
}

/** For responses that are not pages (files, API answers): nothing may run or frame them. */
export const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * For pages the server writes itself with their styles inline and no script (the migration
 * failure page): styles only.
 */
export const SCRIPTLESS_PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** One year; browsers then use https only for this host. Sent by production builds only. */
const HSTS = "max-age=31536000; includeSubDomains";

export function staticSecurityHeaders(options: {
  production: boolean;
}): { key: string; value: string }[] {
  return [
    { key: "X-Content-Type-Options", value: "nosniff" },
    // Older browsers that ignore CSP's frame-ancestors.
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    ...(options.production ? [{ key: "Strict-Transport-Security", value: HSTS }] : []),
  ];
}
