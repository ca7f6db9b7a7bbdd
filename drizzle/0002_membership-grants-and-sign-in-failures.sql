CREATE TABLE "sign_in_failures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_key" text NOT NULL,
	"failures" integer NOT NULL,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sign_in_failures_account_key_uidx" UNIQUE("account_key")
);
--> statement-breakpoint
CREATE TABLE "membership_grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"tenant_id" uuid,
	"role" text NOT NULL,
	"invited_by_user_id" uuid,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "membership_grants_user_id_tenant_id_uidx" UNIQUE NULLS NOT DISTINCT("user_id","tenant_id"),
	CONSTRAINT "membership_grants_token_hash_uidx" UNIQUE("token_hash"),
	CONSTRAINT "membership_grants_role_check" CHECK ("membership_grants"."role" in ('agency_admin', 'tenant_admin', 'member')),
	CONSTRAINT "membership_grants_agency_admin_tenant_check" CHECK (("membership_grants"."tenant_id" is null) = ("membership_grants"."role" = 'agency_admin')),
	CONSTRAINT "membership_grants_token_hash_sha256_check" CHECK ("membership_grants"."token_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
ALTER TABLE "membership_grants" ADD CONSTRAINT "membership_grants_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "membership_grants" ADD CONSTRAINT "membership_grants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "membership_grants" ADD CONSTRAINT "membership_grants_invited_by_user_id_fk" FOREIGN KEY ("invited_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "membership_grants_tenant_id_idx" ON "membership_grants" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "membership_grants_invited_by_user_id_idx" ON "membership_grants" USING btree ("invited_by_user_id");