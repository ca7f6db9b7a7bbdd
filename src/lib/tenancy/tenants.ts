import { asc, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import { getDb } from "@/lib/db";
import type { Database } from "@/lib/db/client";
import {
  type MembershipRole,
  memberships,
  type Tenant,
  tenants,
  type UserStatus,
  users,
} from "@/lib/db/schema";
import { type Actor, requireAgencyAdmin, requireTenant } from "@/lib/tenancy/access";
import { TenancyError } from "@/lib/tenancy/errors";

export const TENANT_NAME_MAX_LENGTH = 100;
export const TENANT_SLUG_MAX_LENGTH = 63;
/** The rule of the `tenants_slug_check` constraint. */
const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const tenantInput = z.object({
  name: z.string().trim().min(1).max(TENANT_NAME_MAX_LENGTH),
  slug: z.string().trim().toLowerCase().max(TENANT_SLUG_MAX_LENGTH).regex(SLUG_PATTERN),
});

/** `Dr. Müller & Söhne` → `dr-muller-sohne`: what the slug field defaults to. */
function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, TENANT_SLUG_MAX_LENGTH)
    .replace(/^-+|-+$/g, "");
}

/**
 * Creates a tenant (agency admins only). An empty slug is derived from the name; a slug in use is
 * refused, not altered, so the admin knows the URL the tenant gets.
 */
export async function createTenant(
  actor: Actor,
  input: { name: unknown; slug?: unknown },
  db: Database = getDb(),
): Promise<Tenant> {
  requireAgencyAdmin(actor);
  const name = typeof input.name === "string" ? input.name : "";
  const givenSlug = typeof input.slug === "string" ? input.slug.trim() : "";
  const parsed = tenantInput.safeParse({ name, slug: givenSlug || slugify(name) });
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0]);
    if (field === "name") {
      throw new TenancyError(
        "INVALID_NAME",
        `Enter a client name of 1 to ${TENANT_NAME_MAX_LENGTH} characters.`,
        "name",
      );
    }
    throw new TenancyError(
      "INVALID_SLUG",
      `The slug must be 1 to ${TENANT_SLUG_MAX_LENGTH} lowercase letters and digits in groups ` +
        'joined by single hyphens, e.g. "acme-dental".',
      "slug",
    );
  }
  const [tenant] = await db
    .insert(tenants)
    .values(parsed.data)
    .onConflictDoNothing({ target: tenants.slug })
    .returning();
  if (!tenant) {
    throw new TenancyError(
      "SLUG_TAKEN",
      `Another client already uses the slug "${parsed.data.slug}": choose another.`,
      "slug",
    );
  }
  return tenant;
}

export interface VisibleTenant {
  id: string;
  name: string;
  slug: string;
  /** Why the actor sees it: their role in it, or `agency_admin` for every tenant. */
  role: MembershipRole;
}

/** Every tenant for agency admins; otherwise the tenants of the actor's memberships. By name. */
export async function listVisibleTenants(
  actor: Actor,
  db: Database = getDb(),
): Promise<VisibleTenant[]> {
  const columns = { id: tenants.id, name: tenants.name, slug: tenants.slug };
  if (actor.agencyAdmin) {
    const rows = await db.select(columns).from(tenants).orderBy(asc(tenants.name));
    return rows.map((row) => ({ ...row, role: "agency_admin" }));
  }
  const ids = [...actor.tenantRoles.keys()];
  if (ids.length === 0) return [];
  const rows = await db
    .select(columns)
    .from(tenants)
    .where(inArray(tenants.id, ids))
    .orderBy(asc(tenants.name));
  return rows.map((row) => ({ ...row, role: actor.tenantRoles.get(row.id) ?? "member" }));
}

/** A tenant the actor may see (its page); otherwise `TENANT_NOT_FOUND`. */
export function getTenant(actor: Actor, tenantId: unknown, db: Database = getDb()) {
  return requireTenant(actor, tenantId, "tenant:view", db);
}

export interface TenantMember {
  userId: string;
  name: string;
  email: string;
  status: UserStatus;
  role: MembershipRole;
  invitedByName: string | null;
  /** Set while the invitation is pending. */
  inviteExpiresAt: Date | null;
}

/** The people of a tenant, for its admins and agency admins; otherwise refused. */
export async function listTenantMembers(
  actor: Actor,
  tenantId: unknown,
  db: Database = getDb(),
): Promise<TenantMember[]> {
  const tenant = await requireTenant(actor, tenantId, "tenant:manage", db);
  const inviter = alias(users, "inviter");
  return db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      status: users.status,
      role: memberships.role,
      invitedByName: inviter.name,
      inviteExpiresAt: users.inviteExpiresAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(inviter, eq(inviter.id, memberships.invitedByUserId))
    .where(eq(memberships.tenantId, tenant.id))
    .orderBy(asc(users.email));
}
