"use server";

import { revalidatePath } from "next/cache";
import { deliverAndDescribe, inviteAgencyAdmin, revokeOffer } from "@/lib/invitations";
import { type ActionState, actAsCurrentActor, changeUserStatus, createTenant } from "@/lib/tenancy";

// The rights checks are inside the server functions each action calls (see actAsCurrentActor).

export async function createTenantAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  return actAsCurrentActor(async (actor) => {
    const tenant = await createTenant(actor, { name: form.get("name"), slug: form.get("slug") });
    revalidatePath("/admin");
    return { status: "success", message: `Created ${tenant.name} (slug ${tenant.slug}).` };
  });
}

export async function inviteAgencyAdminAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  return actAsCurrentActor(async (actor) => {
    const result = await inviteAgencyAdmin(actor, { email: form.get("email") });
    const outcome = await deliverAndDescribe(result);
    revalidatePath("/admin");
    return { status: "success", ...outcome };
  });
}

export async function changeUserStatusAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  const change = form.get("change") === "reactivate" ? "reactivate" : "suspend";
  return actAsCurrentActor(async (actor) => {
    const status = await changeUserStatus(actor, { userId: form.get("userId"), change });
    revalidatePath("/admin");
    return {
      status: "success",
      message:
        change === "suspend"
          ? "Suspended and signed out everywhere; the invitations they sent that were pending are revoked."
          : `Reactivated (${status}).`,
    };
  });
}

export async function revokeOfferAction(_state: ActionState, form: FormData): Promise<ActionState> {
  return actAsCurrentActor(async (actor) => {
    const message = await revokeOffer(actor, { kind: form.get("kind"), id: form.get("id") });
    revalidatePath("/admin");
    return { status: "success", message };
  });
}
