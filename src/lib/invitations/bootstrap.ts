import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "@/lib/db";
import { memberships, type UserStatus, users } from "@/lib/db/schema";
import { TenancyError } from "@/lib/tenancy/errors";
import {
  type InvitationOptions,
  type InvitationResult,
  issueInvitation,
  parseEmail,
  parseOptionalName,
} from "./invite";

export type BootstrapResult =
  | { changed: true; invitation: InvitationResult }
  | { changed: false; email: string; status: UserStatus };

/**
 * `npm run admin:create`: makes `email` an agency admin, inviting them if they have no account.
 * Idempotent: for someone who is already an agency admin it changes nothing, unless `newLink` asks
 * to replace a still-pending invitation's link (the way to recover a lost one).
 */
export async function bootstrapAgencyAdmin(
  input: { email: unknown; name: unknown; newLink?: boolean },
  options: InvitationOptions = {},
): Promise<BootstrapResult> {
  const db = options.db ?? getDb();
  const email = parseEmail(input.email);
  const name = parseOptionalName(input.name);
  if (!name) throw new TenancyError("INVALID_NAME", "A name is required (--name).", "name");

  const [existing] = await db
    .select({ status: users.status })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(and(eq(users.email, email), isNull(memberships.tenantId)));
  if (existing && !(input.newLink && existing.status === "invited")) {
    return { changed: false, email, status: existing.status };
  }
  const invitation = await issueInvitation(
    { email, name, tenant: null, role: "agency_admin", invitedBy: null },
    { ...options, db },
  );
  return { changed: true, invitation };
}
