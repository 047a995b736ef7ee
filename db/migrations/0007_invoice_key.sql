-- invoice_key(text): an invoice number as jobs/rules/lib.ts normalizeRefSql normalises it
-- (full-width → ASCII, no white space or dashes of any kind, upper case; null → ''). Immutable, so
-- duplicate-invoice can look invoice numbers up through the expression index below instead of
-- normalising the whole ledger with a regular expression on every run.
create or replace function invoice_key(value text) returns text
  language sql immutable parallel safe
  as $$ select upper(regexp_replace(translate(coalesce(value, ''), '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～', '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'), '[[:space:] 　‐-―−﹘﹣-]', '', 'g')) $$;
--> statement-breakpoint
create index if not exists ledger_entries_invoice_key_idx on ledger_entries (invoice_key(invoice_no))
  where invoice_no is not null and status = 'published';
