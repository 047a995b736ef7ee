-- Keys the checks compare, stored on the row when it is written instead of computed by a regular
-- expression over the whole ledger on every check run.
-- ref_key(text): an invoice number or decision ref as jobs/rules/lib.ts normalizeRef makes it
-- (full-width → ASCII, no white space or dashes of any kind, upper case; null → '').
-- party_key(text): a counterparty or person's name as lib.ts partyKey makes it (full-width →
-- ASCII, no white space; null → ''). Both immutable, so stored generated columns can use them.
-- shared_keys (see db/schema.ts) is kept by the statement triggers at the end.
create or replace function ref_key(value text) returns text
  language sql immutable parallel safe
  as $$ select upper(regexp_replace(translate(coalesce(value, ''), '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'), '[[:space:] 　‐-―−﹘﹣-]', '', 'g')) $$;
--> statement-breakpoint
create or replace function party_key(value text) returns text
  language sql immutable parallel safe
  as $$ select regexp_replace(translate(coalesce(value, ''), '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'), '[[:space:] 　]', '', 'g') $$;
--> statement-breakpoint
-- The expression index of 0007 gives way to an index on the stored column (same name).
drop index if exists ledger_entries_invoice_key_idx;
--> statement-breakpoint
drop function if exists invoice_key(text);
--> statement-breakpoint
CREATE TABLE "shared_keys" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	CONSTRAINT "shared_keys_kind_key_pk" PRIMARY KEY("kind","key")
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "ref_key" text GENERATED ALWAYS AS (ref_key(ref)) STORED;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "invoice_key" text GENERATED ALWAYS AS (ref_key(invoice_no)) STORED;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "decision_key" text GENERATED ALWAYS AS (ref_key(decision_ref)) STORED;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "party_key" text GENERATED ALWAYS AS (party_key(counterparty)) STORED;--> statement-breakpoint
CREATE INDEX "decisions_village_ref_key_idx" ON "decisions" USING btree ("village_code","ref_key");--> statement-breakpoint
CREATE INDEX "ledger_entries_invoice_key_idx" ON "ledger_entries" USING btree ("invoice_key") WHERE "ledger_entries"."invoice_key" <> '';--> statement-breakpoint
CREATE INDEX "ledger_entries_village_handler_idx" ON "ledger_entries" USING btree ("village_code","handler") WHERE "ledger_entries"."status" = 'published' and "ledger_entries"."handler" is not null;--> statement-breakpoint
-- shared_keys: an invoice key or voucher image becomes shared when a statement writes a row that
-- another entry already holds (or two rows of the statement hold it). Two transactions writing
-- the same key at once must see each other: each locks the buckets of its keys first (released
-- at commit), so the later one counts after the earlier commits (in READ COMMITTED every
-- statement below reads a fresh snapshot). 256 buckets bound the locks a large import holds.
-- Set-based (one join per statement, not a lookup per key), so a plan made while the table was
-- small stays linear when a bulk load runs many statements.
create or replace function note_shared_invoice_keys() returns trigger
  language plpgsql
  as $$
begin
  perform pg_advisory_xact_lock(730501, b.bucket)
     from (select distinct hashtext(n.invoice_key) & 255 as bucket from new_rows n where n.invoice_key <> '' order by 1) b;
  insert into shared_keys (kind, key)
    select 'invoice', e.invoice_key
      from ledger_entries e
     where e.invoice_key in (select n.invoice_key from new_rows n where n.invoice_key <> '') and e.invoice_key <> ''
     group by e.invoice_key having count(*) >= 2
    on conflict do nothing;
  return null;
end $$;
--> statement-breakpoint
create or replace function note_shared_images() returns trigger
  language plpgsql
  as $$
begin
  perform pg_advisory_xact_lock(730502, b.bucket)
     from (select distinct hashtext(n.voucher_sha256) & 255 as bucket from new_rows n order by 1) b;
  insert into shared_keys (kind, key)
    select 'image', v.voucher_sha256
      from entry_vouchers v
     where v.voucher_sha256 in (select n.voucher_sha256 from new_rows n)
     group by v.voucher_sha256 having count(distinct v.entry_id) >= 2
    on conflict do nothing;
  return null;
end $$;
--> statement-breakpoint
create trigger ledger_entries_shared_keys_insert after insert on ledger_entries
  referencing new table as new_rows for each statement execute function note_shared_invoice_keys();
--> statement-breakpoint
create trigger ledger_entries_shared_keys_update after update on ledger_entries
  referencing new table as new_rows for each statement execute function note_shared_invoice_keys();
--> statement-breakpoint
create trigger entry_vouchers_shared_keys_insert after insert on entry_vouchers
  referencing new table as new_rows for each statement execute function note_shared_images();
--> statement-breakpoint
create trigger entry_vouchers_shared_keys_update after update on entry_vouchers
  referencing new table as new_rows for each statement execute function note_shared_images();
--> statement-breakpoint
insert into shared_keys (kind, key)
  select 'invoice', invoice_key from ledger_entries where invoice_key <> '' group by invoice_key having count(*) >= 2
  on conflict do nothing;
--> statement-breakpoint
insert into shared_keys (kind, key)
  select 'image', voucher_sha256 from entry_vouchers group by voucher_sha256 having count(distinct entry_id) >= 2
  on conflict do nothing;
