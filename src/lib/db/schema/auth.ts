import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, timestamps } from "./columns";
import { isOneOf } from "./constraints";

// Better Auth's core tables, plural (the adapter runs with `usePlural: true`), shaped to what
// better-auth 1.7 reads and writes. See docs/auth.md before changing a column here.

export const USER_STATUSES = ["invited", "active", "suspended"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const users = pgTable(
  "users",
  {
    id: id(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    emailVerified: boolean("email_verified").default(false).notNull(),
    image: text("image"),
    status: text("status", { enum: USER_STATUSES }).default("active").notNull(),
    /** SHA-256 (hex) of the invite token; the token itself is only ever in the invite link. */
    inviteToken: text("invite_token"),
    inviteExpiresAt: timestamp("invite_expires_at", { withTimezone: true }),
    /**
     * Raised by a suspension: known-browser cookies are bound to it and to the password hash
     * (src/lib/auth/known-browser.ts), so a suspension or a password change ends every
     * exemption from the per-account sign-in limit issued before it.
     */
    signInGeneration: integer("sign_in_generation").default(0).notNull(),
    ...timestamps(),
  },
  (table) => [
    // Better Auth lowercases emails before every read and write; the check makes that a rule
    // of the database too, so the plain unique index is a case-insensitive one.
    unique("users_email_uidx").on(table.email),
    check("users_email_lowercase_check", sql`${table.email} = lower(${table.email})`),
    check("users_status_check", isOneOf(table.status, USER_STATUSES)),
    unique("users_invite_token_uidx").on(table.inviteToken),
    check("users_invite_token_sha256_check", sql`${table.inviteToken} ~ '^[0-9a-f]{64}$'`),
    check(
      "users_invite_expires_at_check",
      sql`(${table.inviteToken} is null) = (${table.inviteExpiresAt} is null)`,
    ),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    token: text("token").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "sessions_user_id_fk",
      columns: [table.userId],
      foreignColumns: [users.id],
    }).onDelete("cascade"),
    unique("sessions_token_uidx").on(table.token),
    index("sessions_user_id_idx").on(table.userId),
  ],
);

export const accounts = pgTable(
  "accounts",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: timestamp("access_token_expires_at", { withTimezone: true }),
    refreshTokenExpiresAt: timestamp("refresh_token_expires_at", { withTimezone: true }),
    scope: text("scope"),
    /** Better Auth's password hash (scrypt) for the "credential" provider. */
    password: text("password"),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "accounts_user_id_fk",
      columns: [table.userId],
      foreignColumns: [users.id],
    }).onDelete("cascade"),
    index("accounts_user_id_idx").on(table.userId),
    unique("accounts_provider_id_account_id_uidx").on(table.providerId, table.accountId),
  ],
);

export const verifications = pgTable(
  "verifications",
  {
    id: id(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    ...timestamps(),
  },
  (table) => [index("verifications_identifier_idx").on(table.identifier)],
);

/**
 * Better Auth's rate-limit counters (`rateLimit.storage: "database"`), so every replica counts
 * against the same limits. `last_request` is epoch milliseconds, as Better Auth writes it.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    id: id(),
    key: text("key").notNull(),
    count: integer("count").notNull(),
    lastRequest: bigint("last_request", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [unique("rate_limits_key_uidx").on(table.key)],
);

/**
 * Failed sign-ins per account, shared by every replica: the per-account limit
 * (src/lib/auth/account-limit.ts). An attempt is counted when it starts and taken back when it
 * succeeds, so `failures` also holds the attempts still in flight. Keyed by the SHA-256 of the
 * lowercased email, so it counts attempts on addresses that have no account too (without storing
 * them) and reveals nothing.
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: id(),
    accountKey: text("account_key").notNull(),
    failures: integer("failures").notNull(),
    windowStartedAt: timestamp("window_started_at", { withTimezone: true }).defaultNow().notNull(),
    ...timestamps(),
  },
  (table) => [unique("sign_in_failures_account_key_uidx").on(table.accountKey)],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type Account = typeof accounts.$inferSelect;
export type NewAccount = typeof accounts.$inferInsert;
export type Verification = typeof verifications.$inferSelect;
export type NewVerification = typeof verifications.$inferInsert;
export type RateLimit = typeof rateLimits.$inferSelect;
