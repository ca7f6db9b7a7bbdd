import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import { type MembershipRole, memberships, tenants, type UserStatus, users } from "@/lib/db/schema";
import { reactivateUser, suspendUser } from "@/lib/tenancy/users";
import { type Actor, requireAgencyAdmin } from "./access";
import { TenancyError } from "./errors";

export interface UserOverview {
  id: string;
  name: string;
  email: string;
  status: UserStatus;
  memberships: { tenantId: string | null; tenantName: string | null; role: MembershipRole }[];
}

/** Every user with their memberships, for the agency admin page. */
export async function listUsers(actor: Actor, db: Database = getDb()): Promise<UserOverview[]> {
  requireAgencyAdmin(actor);
  const rows = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      status: users.status,
      tenantId: memberships.tenantId,
      tenantName: tenants.name,
      role: memberships.role,
    })
    .from(users)
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .orderBy(asc(users.email), sql`${tenants.name} asc nulls first`);
  const byId = new Map<string, UserOverview>();
  for (const { tenantId, tenantName, role, ...user } of rows) {
    const overview = byId.get(user.id) ?? { ...user, memberships: [] };
    byId.set(user.id, overview);
    if (role) overview.memberships.push({ tenantId, tenantName, role });
  }
  return [...byId.values()];
}

export type StatusChange = "suspend" | "reactivate";

/**
 * Suspends (ending every session) or reactivates a user. Agency admins only, and never
 * themselves: the last agency admin suspending themselves would lock the agency out.
 */
export async function changeUserStatus(
  actor: Actor,
  input: { userId: unknown; change: StatusChange },
  db: Database = getDb(),
): Promise<UserStatus> {
  requireAgencyAdmin(actor);
  const parsed = z.uuid().safeParse(input.userId);
  if (!parsed.success) throw new TenancyError("USER_NOT_FOUND", "No user has this id.");
  const userId = parsed.data;
  if (input.change === "suspend") {
    if (userId === actor.userId) {
      throw new TenancyError("CANNOT_SUSPEND_SELF", "You cannot suspend yourself.");
    }
    if (!(await suspendUser(userId, db))) {
      throw new TenancyError("USER_NOT_FOUND", "No user has this id.");
    }
    return "suspended";
  }
  const status = await reactivateUser(userId, db);
  if (!status) {
    throw new TenancyError("USER_NOT_FOUND", "No suspended user has this id.");
  }
  return status;
}
