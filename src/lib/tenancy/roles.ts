import type { MembershipRole } from "@/lib/db/schema";

/** How roles read on the pages and in invitations ("client" is the agency's word for a tenant). */
export const ROLE_NAMES: Record<MembershipRole, string> = {
  agency_admin: "Agency admin",
  tenant_admin: "Client admin",
  member: "Member",
};

/** The roles a tenant membership can have; `agency_admin` belongs to no tenant. */
export const TENANT_ROLES = ["tenant_admin", "member"] as const satisfies readonly MembershipRole[];
