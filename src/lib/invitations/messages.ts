import { ROLE_NAMES } from "@/lib/tenancy/roles";
import type { InvitationResult } from "./invite";
import { type Delivery, deliverInvitation } from "./sender";

/** `2026-12-02 14:05 UTC`: the same on the server and in every browser. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** What the admin reads after inviting, and the link to copy when no sender took it. */
export function invitationOutcomeMessage(
  result: InvitationResult,
  delivery: Delivery,
): { message: string; link?: string } {
  const where = result.tenant?.name ?? "the agency";
  const grant = `${where} as ${ROLE_NAMES[result.role]}`;
  // A grant reads exactly like an invitation: a client admin must not learn from the answer
  // whether the address already has an account (docs/security.md).
  const what =
    result.outcome === "reinvited"
      ? `Sent ${result.email} a new invitation to ${grant}; their previous link no longer works.`
      : `Invited ${result.email} to ${grant}.`;
  const until = result.expiresAt ? ` It is valid until ${formatUtc(result.expiresAt)}.` : "";
  if (delivery.status === "sent") {
    return { message: `${what} The link went to ${delivery.channel}.${until}` };
  }
  const why = delivery.error ? `${delivery.error}: ` : "No invitation sender is configured: ";
  return {
    message: `${what} ${why}copy the link below and send it to them yourself; it works once.${until}`,
    link: delivery.link,
  };
}

/** Delivers a committed invitation and says what happened, for the page that made it. */
export async function deliverAndDescribe(
  result: InvitationResult,
): Promise<{ message: string; link?: string }> {
  return invitationOutcomeMessage(result, await deliverInvitation(result));
}
