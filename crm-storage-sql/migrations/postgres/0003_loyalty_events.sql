-- Loyalty-programme events: points earned, redeemed, adjusted or expired, one row per
-- event, keyed by the host's event id (batch imports skip ids stored already).
--
-- Every field is a typed column (there is no JSON body): `points` is the signed change to
-- the balance, `kind` its name (earn, redeem, adjust, expire), `occurred_at` and
-- `occurred_nanos` the time as in the other tables, `transaction_id` the purchase the points
-- come from (not a foreign key: the transaction may be imported later, or erased).

CREATE TABLE loyalty_events (
    id             TEXT COLLATE "C" PRIMARY KEY,
    version        BIGINT NOT NULL,
    customer_id    TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    kind           TEXT NOT NULL,
    points         BIGINT NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    occurred_nanos SMALLINT NOT NULL DEFAULT 0,
    reason         TEXT,
    transaction_id TEXT COLLATE "C"
);
CREATE INDEX loyalty_events_customer ON loyalty_events (customer_id, occurred_at, occurred_nanos, id);
CREATE INDEX loyalty_events_time ON loyalty_events (occurred_at, occurred_nanos, id);
