import { sql } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { id, timestamps } from "./columns";
import { isOneOf } from "./constraints";

/** An agency's client: everything reported is scoped to one tenant. */
export const tenants = pgTable(
  "tenants",
  {
    id: id(),
    name: text("name").notNull(),
    /** URL-safe handle, unique across the agency (e.g. `acme-dental`). */
    slug: text("slug").notNull(),
    ...timestamps(),
  },
  (table) => [
    unique("tenants_slug_uidx").on(table.slug),
    check("tenants_slug_check", sql`${table.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`),
    check("tenants_name_check", sql`length(btrim(${table.name})) > 0`),
  ],
);

/**
 * `agency_admin` sees every tenant and is the only role stored with a null tenant;
 * `tenant_admin` manages one tenant and may invite to it; `member` reads one tenant's reports.
 */
export const MEMBERSHIP_ROLES = ["agency_admin", "tenant_admin", "member"] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/** Who may see which tenant (the seed called this table `tenant_users`). */
export const memberships = pgTable(
  "memberships",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    /** Null means every tenant: an agency admin. Intentional, see docs/schema.md. */
    tenantId: uuid("tenant_id"),
    role: text("role", { enum: MEMBERSHIP_ROLES }).notNull(),
    invitedByUserId: uuid("invited_by_user_id"),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "memberships_user_id_fk",
      columns: [table.userId],
      foreignColumns: [users.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "memberships_tenant_id_fk",
      columns: [table.tenantId],
      foreignColumns: [tenants.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "memberships_invited_by_user_id_fk",
      columns: [table.invitedByUserId],
      foreignColumns: [users.id],
    }).onDelete("set null"),
    // Also serves lookups by user_id: the unique index leads with it.
    unique("memberships_user_id_tenant_id_uidx")
      .on(table.userId, table.tenantId)
      .nullsNotDistinct(),
    index("memberships_tenant_id_idx").on(table.tenantId),
    index("memberships_invited_by_user_id_idx").on(table.invitedByUserId),
    check("memberships_role_check", isOneOf(table.role, MEMBERSHIP_ROLES)),
    check(
      "memberships_agency_admin_tenant_check",
      sql`(${table.tenantId} is null) = (${table.role} = 'agency_admin')`,
    ),
  ],
);

/**
 * Access offered to a user who already has an account. It becomes a membership only when that
 * user opens the emailed link while signed in as the account (docs/security.md): inviting an
 * address proves nothing about who registered it.
 */
export const membershipGrants = pgTable(
  "membership_grants",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    /** Null: the agency (an agency-admin grant, e.g. from `admin:create`). */
    tenantId: uuid("tenant_id"),
    role: text("role", { enum: MEMBERSHIP_ROLES }).notNull(),
    invitedByUserId: uuid("invited_by_user_id"),
    /** SHA-256 (hex) of the token; the token itself is only ever in the link. */
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "membership_grants_user_id_fk",
      columns: [table.userId],
      foreignColumns: [users.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "membership_grants_tenant_id_fk",
      columns: [table.tenantId],
      foreignColumns: [tenants.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "membership_grants_invited_by_user_id_fk",
      columns: [table.invitedByUserId],
      foreignColumns: [users.id],
    }).onDelete("set null"),
    // One pending grant per user and tenant: inviting again replaces its token.
    unique("membership_grants_user_id_tenant_id_uidx")
      .on(table.userId, table.tenantId)
      .nullsNotDistinct(),
    unique("membership_grants_token_hash_uidx").on(table.tokenHash),
    index("membership_grants_tenant_id_idx").on(table.tenantId),
    index("membership_grants_invited_by_user_id_idx").on(table.invitedByUserId),
    check("membership_grants_role_check", isOneOf(table.role, MEMBERSHIP_ROLES)),
    check(
      "membership_grants_agency_admin_tenant_check",
      sql`(${table.tenantId} is null) = (${table.role} = 'agency_admin')`,
    ),
    check("membership_grants_token_hash_sha256_check", sql`${table.tokenHash} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type Tenant = typeof tenants.$inferSelect;
export type NewTenant = typeof tenants.$inferInsert;
export type Membership = typeof memberships.$inferSelect;
export type NewMembership = typeof memberships.$inferInsert;
export type MembershipGrant = typeof membershipGrants.$inferSelect;
