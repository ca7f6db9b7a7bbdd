import { getSessionCookie } from "better-auth/cookies";
import { type NextRequest, NextResponse } from "next/server";
import { readEnv } from "@/env";
import { migrationFailureResponse } from "@/server/migration-gate";
import {
  contentSecurityPolicy,
  NON_PAGE_POLICY,
  SCRIPTLESS_PAGE_POLICY,
} from "@/server/security-headers";

/**
 * Runs before every route except Next's static files (Node runtime, the same process as the boot
 * migrator):
 * - refuses writes to pages that do not come from the app's own pages (below);
 * - while the published migration state is "failed" (`next dev` or a serverless instance; a
 *   production Node server exits instead), everything but `/api/health` (which reports the
 *   failure itself, with its own access rules) answers 503, so no page queries a schema the code
 *   does not match;
 * - gives each page its Content-Security-Policy with a fresh nonce (Next reads it from the
 *   request's header and puts it on the scripts it renders), and API answers a policy that allows
 *   nothing;
 * - sends visitors of private pages without a session cookie straight to sign-in. It only looks
 *   for the cookie (it cannot tell a valid session from an expired one), so it saves a render,
 *   nothing more: every page and action checks the session itself.
 */
export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  if (!pathname.startsWith("/api/") && !isSafeMethod(request.method) && !isSameOrigin(request)) {
    return crossOriginRefused();
  }
  const failure = pathname === "/api/health" ? undefined : migrationFailureResponse(request);
  if (failure) {
    failure.headers.set("Content-Security-Policy", SCRIPTLESS_PAGE_POLICY);
    return failure;
  }
  if (pathname.startsWith("/api/")) {
    const response = NextResponse.next();
    response.headers.set("Content-Security-Policy", NON_PAGE_POLICY);
    return response;
  }
  const nonce = btoa(crypto.randomUUID());
  const policy = contentSecurityPolicy(nonce, {
    development: readEnv().NODE_ENV === "development",
  });
  const response =
    isPrivate(pathname) && !getSessionCookie(request)
      ? NextResponse.redirect(new URL("/sign-in", request.url))
      : NextResponse.next({ request: { headers: withHeader(request.headers, policy) } });
  response.headers.set("Content-Security-Policy", policy);
  // Invite links carry their token in the path: no Referer may take it to another site.
  if (pathname.startsWith("/invite/")) response.headers.set("Referrer-Policy", "no-referrer");
  return response;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Server actions (and any other write to a page) only from the app's own pages. Next's own check
 * lets a POST without an Origin header through and answers a foreign one with a 500; here the
 * Origin must be the app's, or, when a browser sends none, `Sec-Fetch-Site` must say the request
 * came from the same origin. Anything else is refused before it reaches an action. (`/api/auth`
 * has Better Auth's origin check.)
 */
function isSameOrigin(request: NextRequest): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin === appOrigin(request);
  return request.headers.get("sec-fetch-site") === "same-origin";
}

/** BETTER_AUTH_URL (required in production, and what browsers use), else the request's own. */
function appOrigin(request: NextRequest): string {
  const configured = readEnv().BETTER_AUTH_URL;
  return configured ? new URL(configured).origin : request.nextUrl.origin;
}

function crossOriginRefused(): NextResponse {
  return NextResponse.json(
    {
      code: "CROSS_ORIGIN_REQUEST",
      message: "This request did not come from the app's own pages, so it was refused.",
    },
    { status: 403, headers: { "Content-Security-Policy": NON_PAGE_POLICY } },
  );
}

function isPrivate(pathname: string): boolean {
  return pathname === "/dashboard" || pathname.startsWith("/dashboard/");
}

function withHeader(headers: Headers, policy: string): Headers {
  const copy = new Headers(headers);
  copy.set("Content-Security-Policy", policy);
  return copy;
}

export const config = {
  // Next's own files get their headers from next.config.ts.
  matcher: ["/((?!_next/|favicon.ico).*)"],
};
