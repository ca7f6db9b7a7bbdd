import { redirect } from "next/navigation";
import { getActiveSession } from "@/lib/auth";
import { type Actor, loadActor } from "./access";

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
