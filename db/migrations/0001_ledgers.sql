CREATE TABLE "accounts" (
	"standard" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"non_productive" boolean DEFAULT false NOT NULL,
	CONSTRAINT "accounts_standard_code_pk" PRIMARY KEY("standard","code"),
	CONSTRAINT "accounts_code_format" CHECK ("accounts"."code" ~ '^[0-9]{3}([0-9]{2})?$')
);
--> statement-breakpoint
CREATE TABLE "decision_steps" (
	"decision_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"date" date NOT NULL,
	"attendance" integer,
	"votes_for" integer,
	"votes_against" integer,
	"votes_abstain" integer,
	"note" text,
	CONSTRAINT "decision_steps_decision_id_kind_pk" PRIMARY KEY("decision_id","kind")
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"village_code" text NOT NULL,
	"ref" text NOT NULL,
	"title" text NOT NULL,
	"decided_on" date NOT NULL,
	"amount_fen" bigint,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entry_vouchers" (
	"entry_id" uuid NOT NULL,
	"page" integer NOT NULL,
	"voucher_sha256" text NOT NULL,
	"file_name" text,
	CONSTRAINT "entry_vouchers_entry_id_page_pk" PRIMARY KEY("entry_id","page")
);
--> statement-breakpoint
CREATE TABLE "import_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"village_code" text NOT NULL,
	"file_sha256" text NOT NULL,
	"file_name" text NOT NULL,
	"file_kind" text NOT NULL,
	"file_size" bigint NOT NULL,
	"uploaded_by" uuid,
	"uploaded_at" timestamp with time zone NOT NULL,
	"entry_count" integer NOT NULL,
	"voucher_count" integer NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"village_code" text NOT NULL,
	"date" date NOT NULL,
	"period" text NOT NULL,
	"year" integer NOT NULL,
	"voucher_no" text NOT NULL,
	"summary" text NOT NULL,
	"account_standard" text NOT NULL,
	"account_code" text NOT NULL,
	"direction" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"counterparty" text,
	"payment_method" text NOT NULL,
	"invoice_no" text,
	"handler" text,
	"decision_ref" text,
	"batch_id" uuid,
	"source_row" integer,
	"status" text DEFAULT 'draft' NOT NULL,
	"reverses_id" uuid,
	"salt" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"publication_id" uuid,
	"leaf_index" integer,
	"leaf_hash" text,
	CONSTRAINT "ledger_entries_amount" CHECK ("ledger_entries"."amount_fen" > 0 or ("ledger_entries"."reverses_id" is not null and "ledger_entries"."amount_fen" < 0)),
	CONSTRAINT "ledger_entries_period" CHECK ("ledger_entries"."period" = to_char("ledger_entries"."date", 'YYYY-MM')),
	CONSTRAINT "ledger_entries_published" CHECK (("ledger_entries"."status" = 'published') = ("ledger_entries"."leaf_index" is not null))
);
--> statement-breakpoint
CREATE TABLE "micro_powers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"region_code" text NOT NULL,
	"category" text NOT NULL,
	"name" text NOT NULL,
	"legal_basis" text DEFAULT '' NOT NULL,
	"responsible_post" text DEFAULT '' NOT NULL,
	"steps" jsonb NOT NULL,
	"risk_points" jsonb NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "officials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"village_code" text NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"post" text NOT NULL,
	"duties" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "opening_balances" (
	"village_code" text PRIMARY KEY NOT NULL,
	"date" date NOT NULL,
	"amount_fen" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"region_code" text NOT NULL,
	"title" text NOT NULL,
	"conditions" text NOT NULL,
	"procedure" text NOT NULL,
	"documents" text NOT NULL,
	"contact" text NOT NULL,
	"valid_from" date,
	"valid_to" date,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "publications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"village_code" text NOT NULL,
	"period" text NOT NULL,
	"entry_count" integer NOT NULL,
	"income_fen" bigint NOT NULL,
	"expense_fen" bigint NOT NULL,
	"opening_fen" bigint NOT NULL,
	"closing_fen" bigint NOT NULL,
	"tree_size" integer NOT NULL,
	"root_hash" text NOT NULL,
	"checkpoint" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"published_by" uuid
);
--> statement-breakpoint
CREATE TABLE "vouchers" (
	"sha256" text PRIMARY KEY NOT NULL,
	"mime" text NOT NULL,
	"size" bigint NOT NULL,
	"width" integer,
	"height" integer,
	"public_mime" text,
	"has_thumbnail" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "decision_steps" ADD CONSTRAINT "decision_steps_decision_id_decisions_id_fk" FOREIGN KEY ("decision_id") REFERENCES "public"."decisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entry_vouchers" ADD CONSTRAINT "entry_vouchers_entry_id_ledger_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."ledger_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entry_vouchers" ADD CONSTRAINT "entry_vouchers_voucher_sha256_vouchers_sha256_fk" FOREIGN KEY ("voucher_sha256") REFERENCES "public"."vouchers"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_batches" ADD CONSTRAINT "import_batches_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_batch_id_import_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."import_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reverses_id_ledger_entries_id_fk" FOREIGN KEY ("reverses_id") REFERENCES "public"."ledger_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_standard_account_code_accounts_standard_code_fk" FOREIGN KEY ("account_standard","account_code") REFERENCES "public"."accounts"("standard","code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "micro_powers" ADD CONSTRAINT "micro_powers_region_code_regions_code_fk" FOREIGN KEY ("region_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "officials" ADD CONSTRAINT "officials_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_balances" ADD CONSTRAINT "opening_balances_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_region_code_regions_code_fk" FOREIGN KEY ("region_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publications" ADD CONSTRAINT "publications_village_code_regions_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "decisions_ref_key" ON "decisions" USING btree ("village_code","ref");--> statement-breakpoint
CREATE INDEX "entry_vouchers_sha_idx" ON "entry_vouchers" USING btree ("voucher_sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "import_batches_file_key" ON "import_batches" USING btree ("village_code","file_sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_voucher_key" ON "ledger_entries" USING btree ("village_code","year","voucher_no");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_leaf_key" ON "ledger_entries" USING btree ("village_code","leaf_index");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_reverses_key" ON "ledger_entries" USING btree ("reverses_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_village_period_idx" ON "ledger_entries" USING btree ("village_code","period");--> statement-breakpoint
CREATE INDEX "ledger_entries_batch_idx" ON "ledger_entries" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "micro_powers_region_idx" ON "micro_powers" USING btree ("region_code");--> statement-breakpoint
CREATE UNIQUE INDEX "officials_position_key" ON "officials" USING btree ("village_code","position");--> statement-breakpoint
CREATE INDEX "policies_region_idx" ON "policies" USING btree ("region_code");--> statement-breakpoint
CREATE UNIQUE INDEX "publications_period_key" ON "publications" USING btree ("village_code","period");--> statement-breakpoint
CREATE INDEX "publications_tree_idx" ON "publications" USING btree ("village_code","tree_size");