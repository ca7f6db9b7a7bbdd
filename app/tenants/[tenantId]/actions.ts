"use server";

import { revalidatePath } from "next/cache";
import { deliverAndDescribe, inviteToTenant } from "@/lib/invitations";
import { type ActionState, actAsCurrentActor } from "@/lib/tenancy";

/**
 * Invites someone to the tenant named by the form's `tenantId`. The id comes from the browser, so
 * it proves nothing: `inviteToTenant` checks that this actor manages that tenant.
 */
export async function inviteToTenantAction(
  _state: ActionState,
  form: FormData,
): Promise<ActionState> {
  return actAsCurrentActor(async (actor) => {
    const result = await inviteToTenant(actor, {
      tenantId: form.get("tenantId"),
      email: form.get("email"),
      role: form.get("role"),
    });
    const outcome = await deliverAndDescribe(result);
    revalidatePath(`/tenants/${result.tenant?.id}`);
    return { status: "success", ...outcome };
  });
}
