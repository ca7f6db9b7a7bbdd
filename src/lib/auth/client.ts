import { inferAdditionalFields } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";
import type { Auth } from "./create-auth";

/**
 * The browser's Better Auth client. It calls the same origin it was served from, which is what
 * Better Auth's origin check expects (BETTER_AUTH_URL must be exactly that origin). Only the type
 * of the server instance is imported, so no server code reaches the browser bundle. This module
 * is the auth domain's face for client components, with the form rules they share with the server.
 */
export const authClient = createAuthClient({
  plugins: [inferAdditionalFields<Auth>()],
});

export { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./input";
export { describeAuthError } from "./messages";
