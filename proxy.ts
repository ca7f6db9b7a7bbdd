import { getSessionCookie } from "better-auth/cookies";
import { type NextRequest, NextResponse } from "next/server";

/**
 * Sends visitors without a session cookie straight to sign-in. It only looks for the cookie (it
 * cannot tell a valid session from an expired one), so it saves a render, nothing more: every page
 * and action checks the session itself.
 */
export function proxy(request: NextRequest) {
  if (getSessionCookie(request)) return NextResponse.next();
  return NextResponse.redirect(new URL("/sign-in", request.url));
}

export const config = { matcher: ["/dashboard/:path*"] };
