import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import { type MembershipRole, memberships, type Tenant, tenants, users } from "@/lib/db/schema";
import { TenancyError } from "./errors";

export type TenantRole = Exclude<MembershipRole, "agency_admin">;

/** A signed-in, active user and what their memberships allow, read fresh from the database. */
export interface Actor {
  userId: string;
  name: string;
  email: string;
  /** Holds the null-tenant membership: sees and manages every tenant. */
  agencyAdmin: boolean;
  /** The actor's role in each tenant they belong to, by tenant id. */
  tenantRoles: ReadonlyMap<string, TenantRole>;
}

/**
 * - `tenant:view`: read a tenant (its page, its reports): agency admins and its members.
 * - `tenant:manage`: see its people and invite to it: agency admins and its tenant admins.
 * - `agency:manage`: create tenants, invite agency admins, suspend and reactivate users.
 */
export type Permission = "tenant:view" | "tenant:manage" | "agency:manage";

/**
 * The actor for a user id, or null when the user does not exist or is not active (an invited or
 * suspended user has no rights, whatever their memberships say).
 */
export async function loadActor(userId: string, db: Database = getDb()): Promise<Actor | null> {
  const rows = await db
    .select({
      name: users.name,
      email: users.email,
      status: users.status,
      tenantId: memberships.tenantId,
      role: memberships.role,
    })
    .from(users)
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .where(eq(users.id, userId));
  const first = rows[0];
  if (first?.status !== "active") return null;

  let agencyAdmin = false;
  const tenantRoles = new Map<string, TenantRole>();
  for (const { tenantId, role } of rows) {
    if (role === "agency_admin") agencyAdmin = true;
    else if (role !== null && tenantId !== null) tenantRoles.set(tenantId, role);
  }
  return { userId, name: first.name, email: first.email, agencyAdmin, tenantRoles };
}

/**
 * The one access rule. Every page, action and server function that touches a tenant or the
 * agency asks it (through `requireTenant` / `requireAgencyAdmin` below), never a role directly.
 */
export function can(actor: Actor, permission: Permission, tenantId?: string): boolean {
  if (actor.agencyAdmin) return true;
  if (permission === "agency:manage" || tenantId === undefined) return false;
  const role = actor.tenantRoles.get(tenantId);
  if (permission === "tenant:view") return role !== undefined;
  return role === "tenant_admin";
}

export function requireAgencyAdmin(actor: Actor): void {
  if (!can(actor, "agency:manage")) {
    throw new TenancyError("FORBIDDEN", "Only agency admins can do this.");
  }
}

const NOT_FOUND_MESSAGE = "No client with this id exists, or you do not have access to it.";
const uuid = z.uuid();

/**
 * The tenant `tenantId` names, if the actor may act on it with `permission`. A tenant the actor
 * cannot see is reported exactly like one that does not exist, so ids of other tenants reveal
 * nothing. Anything that is not a UUID is simply not found (Postgres would reject it with 22P02).
 */
export async function requireTenant(
  actor: Actor,
  tenantId: unknown,
  permission: "tenant:view" | "tenant:manage",
  db: Database = getDb(),
): Promise<Tenant> {
  const parsed = uuid.safeParse(tenantId);
  if (!parsed.success || !can(actor, "tenant:view", parsed.data)) {
    throw new TenancyError("TENANT_NOT_FOUND", NOT_FOUND_MESSAGE, "tenantId");
  }
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, parsed.data));
  if (!tenant) throw new TenancyError("TENANT_NOT_FOUND", NOT_FOUND_MESSAGE, "tenantId");
  if (!can(actor, permission, tenant.id)) {
    throw new TenancyError(
      "FORBIDDEN",
      `Only admins of ${tenant.name} and agency admins can manage its people.`,
    );
  }
  return tenant;
}
