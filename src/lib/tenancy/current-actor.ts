import { redirect } from "next/navigation";
import { getActiveSession } from "@/lib/auth";
import { type Actor, loadActor } from "./access";
import { type ActionState, refusalState } from "./action-state";

/**
 * The signed-in user as an `Actor`, for pages and server actions: the session cookie says who,
 * the database says what they may do now (a membership removed a second ago no longer counts).
 * Redirects to sign-in when there is no active session.
 */
export async function requireCurrentActor(): Promise<Actor> {
  const session = await getActiveSession();
  const actor = session ? await loadActor(session.user.id) : null;
  if (!actor) redirect("/sign-in");
  return actor;
}

/**
 * The body of a form's server action: runs `work` for the signed-in actor and turns its refusals
 * (`TenancyError`) into the form's error message. Every action checks the session and the actor's
 * rights itself: an action is a public endpoint, whatever page its form was on.
 */
export async function actAsCurrentActor(
  work: (actor: Actor) => Promise<ActionState>,
): Promise<ActionState> {
  const actor = await requireCurrentActor();
  try {
    return await work(actor);
  } catch (error) {
    return refusalState(error);
  }
}
