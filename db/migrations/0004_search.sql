-- Search in Chinese: trigram indexes for substring matches (ILIKE '%…%') on what villagers look
-- for — village names, entry summaries and counterparties.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS regions_name_trgm_idx ON regions USING gin (name gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_entries_summary_trgm_idx ON ledger_entries USING gin (summary gin_trgm_ops) WHERE status = 'published';
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_entries_counterparty_trgm_idx ON ledger_entries USING gin (counterparty gin_trgm_ops) WHERE status = 'published';
