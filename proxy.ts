import { getSessionCookie } from "better-auth/cookies";
import { type NextRequest, NextResponse } from "next/server";
import { migrationFailureResponse } from "@/server/migration-gate";

/**
 * Runs before every page and route (Node runtime, the same process as the boot migrator):
 * - while the published migration state is "failed" (`next dev` or a serverless instance; a
 *   production Node server exits instead), everything answers 503 with the reason, so no page
 *   queries a schema the code does not match; `/api/health` answers for itself;
 * - visitors of private pages without a session cookie go straight to sign-in. That only looks
 *   for the cookie (it cannot tell a valid session from an expired one), so it saves a render,
 *   nothing more: every page and action checks the session itself.
 */
export function proxy(request: NextRequest) {
  const failure = migrationFailureResponse(request);
  if (failure) return failure;
  if (!request.nextUrl.pathname.startsWith("/dashboard") || getSessionCookie(request)) {
    return NextResponse.next();
  }
  return NextResponse.redirect(new URL("/sign-in", request.url));
}

// Static assets need no database; health reports the failure itself, with its own access rules.
export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico|api/health).*)"] };
