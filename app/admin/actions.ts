"use server";

import { revalidatePath } from "next/cache";
import { inviteAgencyAdmin } from "@/lib/invitations/invite";
import { deliverAndDescribe } from "@/lib/invitations/messages";
import { type ActionState, refusalState } from "@/lib/tenancy/action-state";
import { requireCurrentActor } from "@/lib/tenancy/current-actor";
import { changeUserStatus } from "@/lib/tenancy/user-admin";
import { createTenant } from "@/lib/tenants";

// Each action checks the session and the actor's rights itself (inside the server functions):
// an action is a public endpoint whatever page its form was on.

export async function createTenantAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  const actor = await requireCurrentActor();
  try {
    const tenant = await createTenant(actor, { name: form.get("name"), slug: form.get("slug") });
    revalidatePath("/admin");
    return { status: "success", message: `Created ${tenant.name} (slug ${tenant.slug}).` };
  } catch (error) {
    return refusalState(error);
  }
}

export async function inviteAgencyAdminAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  const actor = await requireCurrentActor();
  try {
    const result = await inviteAgencyAdmin(actor, { email: form.get("email") });
    const outcome = await deliverAndDescribe(result);
    revalidatePath("/admin");
    return { status: "success", ...outcome };
  } catch (error) {
    return refusalState(error);
  }
}

export async function changeUserStatusAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  const actor = await requireCurrentActor();
  const change = form.get("change") === "reactivate" ? "reactivate" : "suspend";
  try {
    const status = await changeUserStatus(actor, { userId: form.get("userId"), change });
    revalidatePath("/admin");
    return {
      status: "success",
      message:
        change === "suspend" ? "Suspended and signed out everywhere." : `Reactivated (${status}).`,
    };
  } catch (error) {
    return refusalState(error);
  }
}
