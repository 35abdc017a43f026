-- Customers gain their IANA time zone (`Europe/Berlin`), a typed copy of the record's
-- `time_zone` field, NULL when it is not known. Earlier versions never wrote the field, so
-- every existing row keeps NULL (and reads back without a time zone).

ALTER TABLE customers ADD COLUMN time_zone TEXT;
