-- ledger_entries.voucher_pages: how many voucher pages an entry has, kept by the statement
-- triggers below on every way links are written (imports, attaching, discarding drafts, COPY),
-- so the missing-voucher check reads a county's rows only instead of probing entry_vouchers once
-- per entry (at 6 million entries the probes missed the cache and took half a minute). Links
-- change only while their entry is a draft (entry_vouchers_immutable); an update that would not
-- change the count writes nothing.
ALTER TABLE "ledger_entries" ADD COLUMN "voucher_pages" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
create or replace function count_voucher_pages() returns trigger
  language plpgsql
  as $$
begin
  -- Each branch names only the transition tables its event has (a statement is planned when it
  -- first runs). One count per entry touched; rows whose count is unchanged are not written.
  if tg_op = 'INSERT' then
    update ledger_entries e set voucher_pages = c.pages
      from (select x.entry_id, (select count(*)::int from entry_vouchers v where v.entry_id = x.entry_id) as pages
              from (select distinct n.entry_id from new_rows n) x) c
     where e.id = c.entry_id and e.voucher_pages <> c.pages;
  elsif tg_op = 'DELETE' then
    update ledger_entries e set voucher_pages = c.pages
      from (select x.entry_id, (select count(*)::int from entry_vouchers v where v.entry_id = x.entry_id) as pages
              from (select distinct o.entry_id from old_rows o) x) c
     where e.id = c.entry_id and e.voucher_pages <> c.pages;
  else
    update ledger_entries e set voucher_pages = c.pages
      from (select x.entry_id, (select count(*)::int from entry_vouchers v where v.entry_id = x.entry_id) as pages
              from (select n.entry_id from new_rows n union select o.entry_id from old_rows o) x) c
     where e.id = c.entry_id and e.voucher_pages <> c.pages;
  end if;
  return null;
end $$;
--> statement-breakpoint
create trigger entry_vouchers_pages_insert after insert on entry_vouchers
  referencing new table as new_rows for each statement execute function count_voucher_pages();
--> statement-breakpoint
create trigger entry_vouchers_pages_update after update on entry_vouchers
  referencing new table as new_rows old table as old_rows for each statement execute function count_voucher_pages();
--> statement-breakpoint
create trigger entry_vouchers_pages_delete after delete on entry_vouchers
  referencing old table as old_rows for each statement execute function count_voucher_pages();
--> statement-breakpoint
-- The entries that have links already, published ones included (the one time their row changes:
-- the immutability trigger is off for this statement only).
alter table ledger_entries disable trigger ledger_entries_immutable;
--> statement-breakpoint
update ledger_entries e
   set voucher_pages = c.pages
  from (select entry_id, count(*)::int as pages from entry_vouchers group by entry_id) c
 where e.id = c.entry_id;
--> statement-breakpoint
alter table ledger_entries enable trigger ledger_entries_immutable;
