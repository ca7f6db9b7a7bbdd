import { sql } from "drizzle-orm";
import {
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, timestamps } from "./columns";
import { isOneOf } from "./constraints";
import { tenants } from "./tenancy";

export const REPORT_WEEK_STATUSES = ["draft", "published"] as const;
export type ReportWeekStatus = (typeof REPORT_WEEK_STATUSES)[number];

/** One tenant's report for the week ending on `week_ending_date` (a date, no time zone). */
export const reportWeeks = pgTable(
  "report_weeks",
  {
    id: id(),
    tenantId: uuid("tenant_id").notNull(),
    weekEndingDate: date("week_ending_date", { mode: "string" }).notNull(),
    status: text("status", { enum: REPORT_WEEK_STATUSES }).default("draft").notNull(),
    /** Computed figures for the week; their shape is versioned by the report code. */
    metrics: jsonb("metrics").$type<Record<string, unknown>>().default({}).notNull(),
    summary: text("summary"),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "report_weeks_tenant_id_fk",
      columns: [table.tenantId],
      foreignColumns: [tenants.id],
    }).onDelete("cascade"),
    // Also serves lookups by tenant_id: the unique index leads with it.
    unique("report_weeks_tenant_id_week_ending_date_uidx").on(table.tenantId, table.weekEndingDate),
    index("report_weeks_week_ending_date_idx").on(table.weekEndingDate),
    check("report_weeks_status_check", isOneOf(table.status, REPORT_WEEK_STATUSES)),
    check(
      "report_weeks_published_at_check",
      sql`(${table.status} = 'published') = (${table.publishedAt} is not null)`,
    ),
  ],
);

export const SYNC_RUN_STATUSES = ["running", "succeeded", "failed"] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** One pull of a tenant's data from the upstream API. */
export const syncRuns = pgTable(
  "sync_runs",
  {
    id: id(),
    tenantId: uuid("tenant_id").notNull(),
    status: text("status", { enum: SYNC_RUN_STATUSES }).default("running").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).defaultNow().notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    recordsFetched: integer("records_fetched").default(0).notNull(),
    error: text("error"),
    ...timestamps(),
  },
  (table) => [
    foreignKey({
      name: "sync_runs_tenant_id_fk",
      columns: [table.tenantId],
      foreignColumns: [tenants.id],
    }).onDelete("cascade"),
    index("sync_runs_tenant_id_started_at_idx").on(table.tenantId, table.startedAt),
    // The target of ct_raw_snapshots' (sync_run_id, tenant_id) key: a snapshot can only belong
    // to a run of its own tenant.
    unique("sync_runs_id_tenant_id_uidx").on(table.id, table.tenantId),
    check("sync_runs_status_check", isOneOf(table.status, SYNC_RUN_STATUSES)),
    check(
      "sync_runs_finished_at_check",
      sql`(${table.status} = 'running') = (${table.finishedAt} is null) and (${table.finishedAt} is null or ${table.finishedAt} >= ${table.startedAt})`,
    ),
    check(
      "sync_runs_error_check",
      sql`(${table.status} = 'failed') = (${table.error} is not null)`,
    ),
    check("sync_runs_records_fetched_check", sql`${table.recordsFetched} >= 0`),
  ],
);

/** Upstream API responses kept verbatim, so reports can be recomputed without refetching. */
export const ctRawSnapshots = pgTable(
  "ct_raw_snapshots",
  {
    id: id(),
    tenantId: uuid("tenant_id").notNull(),
    syncRunId: uuid("sync_run_id"),
    /** The upstream endpoint the payload came from, e.g. `/v1/calls`. */
    endpoint: text("endpoint").notNull(),
    payload: jsonb("payload").notNull(),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).defaultNow().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    foreignKey({
      name: "ct_raw_snapshots_tenant_id_fk",
      columns: [table.tenantId],
      foreignColumns: [tenants.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "ct_raw_snapshots_sync_run_id_tenant_id_fk",
      columns: [table.syncRunId, table.tenantId],
      foreignColumns: [syncRuns.id, syncRuns.tenantId],
    }).onDelete("cascade"),
    index("ct_raw_snapshots_tenant_id_fetched_at_idx").on(table.tenantId, table.fetchedAt),
    index("ct_raw_snapshots_endpoint_idx").on(table.endpoint),
    index("ct_raw_snapshots_sync_run_id_idx").on(table.syncRunId),
    check("ct_raw_snapshots_endpoint_check", sql`length(${table.endpoint}) > 0`),
  ],
);

export type ReportWeek = typeof reportWeeks.$inferSelect;
export type NewReportWeek = typeof reportWeeks.$inferInsert;
export type SyncRun = typeof syncRuns.$inferSelect;
export type NewSyncRun = typeof syncRuns.$inferInsert;
export type CtRawSnapshot = typeof ctRawSnapshots.$inferSelect;
export type NewCtRawSnapshot = typeof ctRawSnapshots.$inferInsert;
