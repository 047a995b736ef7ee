-- Published entries, their voucher links and publications are immutable, whatever code or
-- person writes to the database: corrections are reversal entries. (A row's change from draft
-- to published is the one update allowed.)
CREATE FUNCTION refuse_published_entry_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'published' THEN
    RAISE EXCEPTION 'published ledger entry % is immutable; post a reversal entry instead', OLD.id
      USING ERRCODE = 'P0001', HINT = 'published_immutable';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_published_entry_change();
--> statement-breakpoint
CREATE FUNCTION refuse_published_voucher_link_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_entries e
             WHERE e.status = 'published'
               AND e.id IN (CASE WHEN TG_OP = 'INSERT' THEN NEW.entry_id ELSE OLD.entry_id END,
                            CASE WHEN TG_OP = 'UPDATE' THEN NEW.entry_id ELSE NULL END)) THEN
    RAISE EXCEPTION 'the vouchers of a published ledger entry are immutable'
      USING ERRCODE = 'P0001', HINT = 'published_immutable';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER entry_vouchers_immutable BEFORE INSERT OR UPDATE OR DELETE ON entry_vouchers
  FOR EACH ROW EXECUTE FUNCTION refuse_published_voucher_link_change();
--> statement-breakpoint
CREATE FUNCTION refuse_publication_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'publications are immutable' USING ERRCODE = 'P0001', HINT = 'published_immutable';
END $$;
--> statement-breakpoint
CREATE TRIGGER publications_immutable BEFORE UPDATE OR DELETE ON publications
  FOR EACH ROW EXECUTE FUNCTION refuse_publication_change();
