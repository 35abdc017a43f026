-- Merge entries: one row per customer id merged into another (`CrmStore::merge_customers`),
-- so that a later import naming a merged id resolves to the survivor instead of creating
-- the customer again (see SCHEMA.md).
--
-- `survivor_id` is always an existing customer: merging a survivor on moves its entries to
-- the new survivor, and erasing a survivor deletes its entries (the merged ids are the
-- person's data too). `merged_at` keeps microseconds, `merged_nanos` the nanoseconds below.

CREATE TABLE customer_merges (
    merged_id    TEXT COLLATE "C" PRIMARY KEY,
    survivor_id  TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    merged_by    TEXT,
    merged_at    TIMESTAMPTZ NOT NULL,
    merged_nanos SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);
