-- Loyalty-programme events: points earned, redeemed, adjusted or expired, one row per
-- event, keyed by the host's event id (batch imports skip ids stored already).
--
-- Every field is a typed column (there is no JSON body): `points` is the signed change to
-- the balance as an integer, `kind` its name (earn, redeem, adjust, expire), `at` the fixed-
-- width UTC time text of the other tables, `transaction_id` the purchase the points come
-- from (not a foreign key: the transaction may be imported later, or erased). The customer
-- key is checked at commit, like the other batch-appended tables (see 0002).

CREATE TABLE loyalty_events (
    id             TEXT PRIMARY KEY NOT NULL,
    version        BIGINT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED,
    at             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    points         INTEGER NOT NULL,
    reason         TEXT,
    transaction_id TEXT
);
CREATE INDEX loyalty_events_customer ON loyalty_events (customer_id, at, id);
CREATE INDEX loyalty_events_time ON loyalty_events (at, id);
