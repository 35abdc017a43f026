-- Merge entries: one row per customer id merged into another (`CrmStore::merge_customers`),
-- so that a later import naming a merged id resolves to the survivor instead of creating
-- the customer again.
--
-- `survivor_id` is always an existing customer: merging a survivor on moves its entries to
-- the new survivor, and erasing a survivor deletes its entries (the merged ids are the
-- person's data too), so the key is checked at once. `merged_by` is the user who merged,
-- `merged_at` the fixed-width UTC time text of the other tables.

CREATE TABLE customer_merges (
    merged_id   TEXT PRIMARY KEY NOT NULL,
    survivor_id TEXT NOT NULL REFERENCES customers (id),
    merged_by   TEXT,
    merged_at   TEXT NOT NULL
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);
