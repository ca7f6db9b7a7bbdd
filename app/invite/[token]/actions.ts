"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getAuth } from "@/lib/auth";
import { acceptGrant, acceptInvitation } from "@/lib/invitations";
import { type ActionState, actAsCurrentActor, refusalState } from "@/lib/tenancy";

/**
 * Accepts the invitation in the form and signs the invitee in: `acceptInvitation` calls Better
 * Auth's sign-in, whose `nextCookies()` plugin sets the session cookie on this response.
 */
export async function acceptInvitationAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  let signedIn: boolean;
  try {
    const accepted = await acceptInvitation(
      getAuth(),
      { token: form.get("token"), name: form.get("name"), password: form.get("password") },
      { headers: await headers() },
    );
    signedIn = accepted.sessionHeaders !== null;
  } catch (error) {
    return refusalState(error);
  }
  redirect(signedIn ? "/dashboard" : "/sign-in");
}

/** Accepts a grant for the signed-in account; `acceptGrant` refuses any other account. */
export async function acceptGrantAction(_state: ActionState, form: FormData): Promise<ActionState> {
  return actAsCurrentActor(async (actor) => ({
    status: "success",
    message: await acceptGrant(actor.userId, form.get("token")),
  }));
}
