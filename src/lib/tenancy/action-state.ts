import { TenancyError } from "./errors";

/** What a form's server action answers; the form shows it (see app/_components/action-form.tsx). */
export type ActionState =
  | { status: "idle" }
  /** `link`: an invite link the admin must pass on themselves (no sender took it). */
  | { status: "success"; message: string; link?: string }
  | { status: "error"; message: string };

export const IDLE_STATE: ActionState = { status: "idle" };

/**
 * A refusal (`TenancyError`) as the form's error message. Anything else is rethrown: Next's
 * redirect and not-found signals must propagate, and a bug should reach the error page and the
 * log, not be shown as if the user had typed something wrong.
 */
export function refusalState(error: unknown): ActionState {
  if (error instanceof TenancyError) return { status: "error", message: error.message };
  throw error;
}
