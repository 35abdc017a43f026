-- Marketing campaigns and their members.
--
-- A campaign is keyed by the host's campaign id; a member by (campaign, customer). Batch
-- imports skip keys stored already. Every field is a typed column (there is no JSON body):
-- times are `timestamptz` with the nanoseconds below the microsecond beside them
-- (`*_nanos`), as in the other tables; the cost is NUMERIC (exact, scale kept) with its
-- currency; `grp` is the member's group (treatment or holdout) and `transaction_id` the
-- purchase the campaign is credited with (not a foreign key: the transaction may be
-- imported later, or erased).

CREATE TABLE campaigns (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    channel        TEXT NOT NULL,
    start_at       TIMESTAMPTZ NOT NULL,
    start_nanos    SMALLINT NOT NULL DEFAULT 0,
    end_at         TIMESTAMPTZ,
    end_nanos      SMALLINT,
    cost           NUMERIC NOT NULL,
    currency       TEXT NOT NULL,
    target_segment TEXT
);

CREATE TABLE campaign_members (
    campaign_id     TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id),
    customer_id     TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    grp             TEXT NOT NULL,
    sent_at         TIMESTAMPTZ,
    sent_nanos      SMALLINT,
    opened_at       TIMESTAMPTZ,
    opened_nanos    SMALLINT,
    clicked_at      TIMESTAMPTZ,
    clicked_nanos   SMALLINT,
    responded_at    TIMESTAMPTZ,
    responded_nanos SMALLINT,
    transaction_id  TEXT COLLATE "C",
    PRIMARY KEY (campaign_id, customer_id)
);
CREATE INDEX campaign_members_customer ON campaign_members (customer_id);
