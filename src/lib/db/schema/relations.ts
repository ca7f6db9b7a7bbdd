import { relations } from "drizzle-orm";
import { accounts, sessions, users } from "./auth";
import { ctRawSnapshots, reportWeeks, syncRuns } from "./reporting";
import { memberships, tenants } from "./tenancy";

// Relations span the domain modules (users ↔ memberships ↔ tenants ↔ reports), so they live here
// and the table modules stay acyclic: auth ← tenancy ← reporting. Better Auth's adapter and
// `db.query` joins need them.

export const usersRelations = relations(users, ({ many }) => ({
  sessions: many(sessions),
  accounts: many(accounts),
  memberships: many(memberships, { relationName: "memberUser" }),
  invitationsSent: many(memberships, { relationName: "inviter" }),
}));

export const sessionsRelations = relations(sessions, ({ one }) => ({
  user: one(users, { fields: [sessions.userId], references: [users.id] }),
}));

export const accountsRelations = relations(accounts, ({ one }) => ({
  user: one(users, { fields: [accounts.userId], references: [users.id] }),
}));

export const tenantsRelations = relations(tenants, ({ many }) => ({
  memberships: many(memberships),
  reportWeeks: many(reportWeeks),
  syncRuns: many(syncRuns),
}));

export const membershipsRelations = relations(memberships, ({ one }) => ({
  user: one(users, {
    fields: [memberships.userId],
    references: [users.id],
    relationName: "memberUser",
  }),
  tenant: one(tenants, { fields: [memberships.tenantId], references: [tenants.id] }),
  invitedBy: one(users, {
    fields: [memberships.invitedByUserId],
    references: [users.id],
    relationName: "inviter",
  }),
}));

export const reportWeeksRelations = relations(reportWeeks, ({ one }) => ({
  tenant: one(tenants, { fields: [reportWeeks.tenantId], references: [tenants.id] }),
}));

export const syncRunsRelations = relations(syncRuns, ({ one, many }) => ({
  tenant: one(tenants, { fields: [syncRuns.tenantId], references: [tenants.id] }),
  snapshots: many(ctRawSnapshots),
}));

export const ctRawSnapshotsRelations = relations(ctRawSnapshots, ({ one }) => ({
  tenant: one(tenants, { fields: [ctRawSnapshots.tenantId], references: [tenants.id] }),
  syncRun: one(syncRuns, { fields: [ctRawSnapshots.syncRunId], references: [syncRuns.id] }),
}));
