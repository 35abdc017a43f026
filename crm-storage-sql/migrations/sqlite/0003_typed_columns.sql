-- Every field an analysis reads becomes a typed column, filled here from the existing rows
-- (see SCHEMA.md for every column). `body` stays the whole record: the store reads records
-- back from it, so it remains their exact source; the new columns are typed copies.
--
-- Money: SQLite has no decimal type and would add decimal text as floating-point numbers.
-- Amounts therefore gain `amount_minor`, the amount as an integer count of the currency's
-- minor unit (cents for EUR, yen for JPY, fils for KWD: 10^-amount_scale, `amount_scale`
-- being the currency's minor digits, 4 for currencies without a minor unit). It is NULL
-- when the amount has more decimal places than that (0.125 EUR, 1.230 EUR) or its
-- magnitude exceeds 2^63 - 1; the text `amount` stays the exact value. Integers of one scale per currency sort
-- and sum exactly and fast, and the partial index `transactions_inexact` finds the rare rows
-- an aggregate must take from the text instead.
--
-- Times stay fixed-width UTC text (2024-05-02T10:30:00.000000000Z). A transaction also gains
-- `day`, its UTC date as days since 1970-01-01, for cheap per-day grouping.

-- Minor digits of the ISO 4217 currencies whose minor unit is not 2 digits.
CREATE TEMP TABLE currency_digits (code TEXT PRIMARY KEY NOT NULL, digits INTEGER NOT NULL);
INSERT INTO temp.currency_digits (code, digits) VALUES
    ('BHD', 3), ('BIF', 0), ('CLF', 4), ('CLP', 0), ('DJF', 0), ('GNF', 0), ('IQD', 3),
    ('ISK', 0), ('JOD', 3), ('JPY', 0), ('KMF', 0), ('KRW', 0), ('KWD', 3), ('LYD', 3),
    ('OMR', 3), ('PYG', 0), ('RWF', 0), ('TND', 3), ('UGX', 0), ('UYI', 0), ('UYW', 4),
    ('VND', 0), ('VUV', 0), ('XAF', 0), ('XAG', 4), ('XAU', 4), ('XBA', 4), ('XBB', 4),
    ('XBC', 4), ('XBD', 4), ('XDR', 4), ('XOF', 0), ('XPD', 4), ('XPF', 0), ('XPT', 4),
    ('XSU', 4), ('XTS', 4), ('XUA', 4), ('XXX', 4);

-- A decimal text (`-12.50`, as the store writes amounts) split into sign, digits without
-- leading zeros, and decimal places, with the minor digits of its currency and whether it
-- has no more decimal places than they (only then is `amount_minor` set).
CREATE TEMP TABLE money_parts (
    tbl       TEXT NOT NULL,
    rid       INTEGER NOT NULL,
    negative  INTEGER NOT NULL,
    digits    TEXT NOT NULL,
    places    INTEGER NOT NULL,
    scale     INTEGER NOT NULL,
    whole     INTEGER NOT NULL,
    PRIMARY KEY (tbl, rid)
);

-- Transactions --------------------------------------------------------------------------

ALTER TABLE transactions ADD COLUMN amount_minor INTEGER;
ALTER TABLE transactions ADD COLUMN amount_scale INTEGER;
ALTER TABLE transactions ADD COLUMN day INTEGER;

INSERT INTO temp.money_parts (tbl, rid, negative, digits, places, scale, whole)
    SELECT 'transactions', rid, negative, digits, places, scale,
           places <= scale
    FROM (SELECT rid, negative, digits, places,
                 coalesce((SELECT digits FROM temp.currency_digits WHERE code = cur), 2) AS scale
          FROM (SELECT rowid AS rid,
                       amount LIKE '-%' AS negative,
                       ltrim(replace(replace(amount, '-', ''), '.', ''), '0') AS digits,
                       CASE WHEN instr(amount, '.') > 0 THEN length(amount) - instr(amount, '.')
                            ELSE 0 END AS places,
                       currency AS cur
                FROM transactions));

UPDATE transactions SET
    day = CAST(julianday(substr(at, 1, 10)) - 2440587.5 AS INTEGER),
    amount_scale = (SELECT scale FROM temp.money_parts
                    WHERE tbl = 'transactions' AND rid = transactions.rowid),
    amount_minor = (SELECT CASE
                               WHEN length(d) < 19 OR (length(d) = 19 AND d <= '9223372036854775807')
                               THEN CASE WHEN negative THEN -CAST(d AS INTEGER)
                                         ELSE CAST(d AS INTEGER) END
                           END
                    FROM (SELECT negative,
                                 digits || substr('0000', 1, scale - places) AS d
                          FROM temp.money_parts
                          WHERE tbl = 'transactions' AND rid = transactions.rowid AND whole));

-- Per-customer purchase aggregates (`purchase_summaries`, RFM) read only this index: one
-- customer's transactions per currency in date order, with the columns they aggregate. It
-- replaces the index on the customer alone, which it extends.
DROP INDEX transactions_customer;
CREATE INDEX transactions_customer ON transactions (customer_id, currency, day, at, amount_minor);
-- The few transactions without integer minor units, which aggregates sum from the text.
CREATE INDEX transactions_inexact ON transactions (customer_id, currency)
    WHERE amount_minor IS NULL;

-- Deals ---------------------------------------------------------------------------------

ALTER TABLE deals ADD COLUMN stage TEXT;
ALTER TABLE deals ADD COLUMN amount TEXT;
ALTER TABLE deals ADD COLUMN currency TEXT;
ALTER TABLE deals ADD COLUMN amount_minor INTEGER;
ALTER TABLE deals ADD COLUMN amount_scale INTEGER;
ALTER TABLE deals ADD COLUMN closed_at TEXT;

-- A JSON time (`2024-05-02T10:30:00Z`, `...:00.5Z`: 0, 3, 6 or 9 decimals) becomes the
-- fixed-width text of the other time columns.
UPDATE deals SET
    stage = json_extract(body, '$.stage'),
    amount = json_extract(body, '$.amount.amount'),
    currency = json_extract(body, '$.amount.currency'),
    closed_at = (SELECT substr(t, 1, 19) || '.'
                        || substr(substr(t, 21, max(length(t) - 21, 0)) || '000000000', 1, 9)
                        || 'Z'
                 FROM (SELECT json_extract(body, '$.closed_at') AS t));

INSERT INTO temp.money_parts (tbl, rid, negative, digits, places, scale, whole)
    SELECT 'deals', rid, negative, digits, places, scale,
           places <= scale
    FROM (SELECT rid, negative, digits, places,
                 coalesce((SELECT digits FROM temp.currency_digits WHERE code = cur), 2) AS scale
          FROM (SELECT rowid AS rid,
                       amount LIKE '-%' AS negative,
                       ltrim(replace(replace(amount, '-', ''), '.', ''), '0') AS digits,
                       CASE WHEN instr(amount, '.') > 0 THEN length(amount) - instr(amount, '.')
                            ELSE 0 END AS places,
                       currency AS cur
                FROM deals));

UPDATE deals SET
    amount_scale = (SELECT scale FROM temp.money_parts WHERE tbl = 'deals' AND rid = deals.rowid),
    amount_minor = (SELECT CASE
                               WHEN length(d) < 19 OR (length(d) = 19 AND d <= '9223372036854775807')
                               THEN CASE WHEN negative THEN -CAST(d AS INTEGER)
                                         ELSE CAST(d AS INTEGER) END
                           END
                    FROM (SELECT negative,
                                 digits || substr('0000', 1, scale - places) AS d
                          FROM temp.money_parts
                          WHERE tbl = 'deals' AND rid = deals.rowid AND whole));

CREATE INDEX deals_stage ON deals (stage);

-- Customers -----------------------------------------------------------------------------

ALTER TABLE customers ADD COLUMN kind TEXT;
ALTER TABLE customers ADD COLUMN lifecycle_stage TEXT;
ALTER TABLE customers ADD COLUMN source TEXT;

UPDATE customers SET
    kind = json_extract(body, '$.kind'),
    lifecycle_stage = json_extract(body, '$.lifecycle_stage'),
    source = json_extract(body, '$.source');

-- Interactions --------------------------------------------------------------------------

ALTER TABLE interactions ADD COLUMN channel TEXT;
ALTER TABLE interactions ADD COLUMN direction TEXT;
ALTER TABLE interactions ADD COLUMN duration_nanos INTEGER;
ALTER TABLE interactions ADD COLUMN ticket_id TEXT;
ALTER TABLE interactions ADD COLUMN deal_id TEXT;

-- A duration is `{"secs": S, "nanos": N}` in JSON; in nanoseconds it fits an integer up to
-- 9223372036.854775807 seconds (NULL beyond).
UPDATE interactions SET
    channel = json_extract(body, '$.channel'),
    direction = json_extract(body, '$.direction'),
    duration_nanos = (SELECT CASE
                                 WHEN s < 9223372036 OR (s = 9223372036 AND n <= 854775807)
                                 THEN s * 1000000000 + n
                             END
                      FROM (SELECT json_extract(body, '$.duration.secs') AS s,
                                   json_extract(body, '$.duration.nanos') AS n)),
    ticket_id = json_extract(body, '$.ticket'),
    deal_id = json_extract(body, '$.deal');

-- Tickets -------------------------------------------------------------------------------

ALTER TABLE tickets ADD COLUMN category TEXT;
ALTER TABLE tickets ADD COLUMN priority TEXT;
ALTER TABLE tickets ADD COLUMN channel TEXT;
ALTER TABLE tickets ADD COLUMN first_response_at TEXT;
ALTER TABLE tickets ADD COLUMN solved_at TEXT;
ALTER TABLE tickets ADD COLUMN closed_at TEXT;

UPDATE tickets SET
    category = json_extract(body, '$.category'),
    priority = json_extract(body, '$.priority'),
    channel = json_extract(body, '$.channel'),
    first_response_at = (SELECT substr(t, 1, 19) || '.'
                                || substr(substr(t, 21, max(length(t) - 21, 0)) || '000000000',
                                          1, 9)
                                || 'Z'
                         FROM (SELECT json_extract(body, '$.first_response_at') AS t)),
    solved_at = (SELECT substr(t, 1, 19) || '.'
                        || substr(substr(t, 21, max(length(t) - 21, 0)) || '000000000', 1, 9)
                        || 'Z'
                 FROM (SELECT json_extract(body, '$.solved_at') AS t)),
    closed_at = (SELECT substr(t, 1, 19) || '.'
                        || substr(substr(t, 21, max(length(t) - 21, 0)) || '000000000', 1, 9)
                        || 'Z'
                 FROM (SELECT json_extract(body, '$.closed_at') AS t));

-- Survey responses ----------------------------------------------------------------------

ALTER TABLE survey_responses ADD COLUMN kind TEXT;
ALTER TABLE survey_responses ADD COLUMN score INTEGER;
ALTER TABLE survey_responses ADD COLUMN scale_min INTEGER;
ALTER TABLE survey_responses ADD COLUMN scale_max INTEGER;
ALTER TABLE survey_responses ADD COLUMN ticket_id TEXT;
ALTER TABLE survey_responses ADD COLUMN interaction_id TEXT;

-- A score is `{"nps": 9}`, `{"ces": 2}` or `{"csat": {"score": 4, "scale": {"min": 1,
-- "max": 5}}}`. NPS is asked on 0 to 10, CES on 1 to 7.
UPDATE survey_responses SET
    kind = CASE
               WHEN json_type(body, '$.score.nps') IS NOT NULL THEN 'nps'
               WHEN json_type(body, '$.score.ces') IS NOT NULL THEN 'ces'
               WHEN json_type(body, '$.score.csat') IS NOT NULL THEN 'csat'
           END,
    score = coalesce(json_extract(body, '$.score.nps'), json_extract(body, '$.score.ces'),
                     json_extract(body, '$.score.csat.score')),
    scale_min = CASE
                    WHEN json_type(body, '$.score.nps') IS NOT NULL THEN 0
                    WHEN json_type(body, '$.score.ces') IS NOT NULL THEN 1
                    ELSE json_extract(body, '$.score.csat.scale.min')
                END,
    scale_max = CASE
                    WHEN json_type(body, '$.score.nps') IS NOT NULL THEN 10
                    WHEN json_type(body, '$.score.ces') IS NOT NULL THEN 7
                    ELSE json_extract(body, '$.score.csat.scale.max')
                END,
    ticket_id = json_extract(body, '$.ticket'),
    interaction_id = json_extract(body, '$.interaction');

DROP TABLE temp.money_parts;
DROP TABLE temp.currency_digits;
