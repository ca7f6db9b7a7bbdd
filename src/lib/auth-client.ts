import { inferAdditionalFields } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";
import type { Auth } from "@/lib/auth/create-auth";

/**
 * The browser's Better Auth client. It calls the same origin it was served from, which is what
 * Better Auth's origin check expects (BETTER_AUTH_URL must be exactly that origin). Only the type
 * of the server instance is imported, so no server code reaches the browser bundle.
 */
export const authClient = createAuthClient({
  plugins: [inferAdditionalFields<Auth>()],
});
