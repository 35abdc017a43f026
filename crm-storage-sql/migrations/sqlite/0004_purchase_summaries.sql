-- Per-customer purchase summaries kept up to date as transactions are written, so that the
-- aggregates of the whole history (RFM, ABC, the churn models' summaries) read one row per
-- customer and currency instead of grouping every transaction.
--
-- A summary is a monoid of its transactions, except for the number of distinct purchase
-- days: an insert updates its group in place (one seek into `transactions_customer` tells
-- whether the day is new); a delete or an update of a transaction marks its groups stale in
-- `purchase_summaries_stale`, and the store recomputes stale groups before the writing
-- transaction commits. Readers use this table only when nothing is stale and the range they
-- ask for holds every transaction; otherwise they group the transactions as before.
--
-- `net_minor` and `first_day_minor` are sums of `amount_minor`: NULL when an amount of the
-- group has no integer minor units or when a 64-bit sum would overflow; such groups are
-- summed exactly from the amount texts, as before. SQLite's `sum()` raises an error on an
-- overflow (whatever a surrounding CASE says: aggregates are stepped over every row), so a
-- group's sum is taken in two parts that cannot overflow (amounts divided by 10^9, and
-- their remainders) and put together with `*` and `+`, which give a floating-point value
-- instead of overflowing: only an integer result is stored. The trigger adds with `+`
-- under the same rule.

CREATE TABLE purchase_summaries (
    customer_id     TEXT NOT NULL,
    currency        TEXT NOT NULL,
    first_at        TEXT NOT NULL,
    last_at         TEXT NOT NULL,
    transactions    INTEGER NOT NULL,
    purchase_days   INTEGER NOT NULL,
    first_day       INTEGER NOT NULL,
    net_minor       INTEGER,
    first_day_minor INTEGER,
    PRIMARY KEY (customer_id, currency)
) WITHOUT ROWID;

CREATE TABLE purchase_summaries_stale (
    customer_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    PRIMARY KEY (customer_id, currency)
) WITHOUT ROWID;

-- The summaries of every group, from the transactions.
INSERT INTO purchase_summaries (customer_id, currency, first_at, last_at, transactions,
                                purchase_days, first_day, net_minor, first_day_minor)
    SELECT customer_id, currency, min(at), max(at), count(*), count(DISTINCT day), min(day),
           CASE WHEN count(amount_minor) = count(*)
                 AND typeof(sum(amount_minor / 1000000000) * 1000000000
                            + sum(amount_minor % 1000000000)) = 'integer'
                THEN sum(amount_minor / 1000000000) * 1000000000
                     + sum(amount_minor % 1000000000) END,
           NULL
    FROM transactions INDEXED BY transactions_customer
    GROUP BY customer_id, currency;
UPDATE purchase_summaries SET first_day_minor =
    (SELECT CASE WHEN count(f.amount_minor) = count(*)
                  AND typeof(sum(f.amount_minor / 1000000000) * 1000000000
                             + sum(f.amount_minor % 1000000000)) = 'integer'
                 THEN sum(f.amount_minor / 1000000000) * 1000000000
                      + sum(f.amount_minor % 1000000000) END
     FROM transactions AS f INDEXED BY transactions_customer
     WHERE f.customer_id = purchase_summaries.customer_id
       AND f.currency = purchase_summaries.currency
       AND f.day = purchase_summaries.first_day);

CREATE TRIGGER transactions_summary_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO purchase_summaries (customer_id, currency, first_at, last_at, transactions,
                                    purchase_days, first_day, net_minor, first_day_minor)
        VALUES (NEW.customer_id, NEW.currency, NEW.at, NEW.at, 1, 1, NEW.day,
                NEW.amount_minor, NEW.amount_minor)
        ON CONFLICT (customer_id, currency) DO UPDATE SET
            first_at = min(first_at, excluded.first_at),
            last_at = max(last_at, excluded.last_at),
            transactions = transactions + 1,
            purchase_days = purchase_days + NOT EXISTS (
                SELECT 1 FROM transactions INDEXED BY transactions_customer
                WHERE customer_id = NEW.customer_id AND currency = NEW.currency
                  AND day = NEW.day AND rowid <> NEW.rowid),
            net_minor = CASE WHEN typeof(net_minor + excluded.net_minor) = 'integer'
                             THEN net_minor + excluded.net_minor END,
            first_day_minor = CASE
                WHEN excluded.first_day < first_day THEN excluded.first_day_minor
                WHEN excluded.first_day > first_day THEN first_day_minor
                WHEN typeof(first_day_minor + excluded.first_day_minor) = 'integer'
                    THEN first_day_minor + excluded.first_day_minor
                END,
            first_day = min(first_day, excluded.first_day);
END;

CREATE TRIGGER transactions_summary_delete AFTER DELETE ON transactions BEGIN
    INSERT OR IGNORE INTO purchase_summaries_stale (customer_id, currency)
        VALUES (OLD.customer_id, OLD.currency);
END;

CREATE TRIGGER transactions_summary_update
AFTER UPDATE OF customer_id, currency, at, day, amount_minor ON transactions BEGIN
    INSERT OR IGNORE INTO purchase_summaries_stale (customer_id, currency)
        VALUES (OLD.customer_id, OLD.currency);
    INSERT OR IGNORE INTO purchase_summaries_stale (customer_id, currency)
        VALUES (NEW.customer_id, NEW.currency);
END;
