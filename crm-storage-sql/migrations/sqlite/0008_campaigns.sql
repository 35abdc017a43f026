-- Marketing campaigns and their members.
--
-- A campaign is keyed by the host's campaign id; a member by (campaign, customer). Batch
-- imports skip keys stored already. Every field is a typed column (there is no JSON body):
-- times are the fixed-width UTC time text of the other tables, the cost is money as on
-- transactions (the exact decimal text `cost`, its `currency`, and `cost_minor`, the cost as
-- an integer count of the currency's minor unit `10^-cost_scale`, NULL when it has more
-- decimal places or does not fit), `grp` the member's group (treatment or holdout) and
-- `transaction_id` the purchase the campaign is credited with (not a foreign key: the
-- transaction may be imported later, or erased). The customer key is checked at commit,
-- like the other batch-appended tables (see 0002).

CREATE TABLE campaigns (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    channel        TEXT NOT NULL,
    start_at       TEXT NOT NULL,
    end_at         TEXT,
    cost           TEXT NOT NULL,
    currency       TEXT NOT NULL,
    cost_minor     INTEGER,
    cost_scale     INTEGER NOT NULL,
    target_segment TEXT
);

CREATE TABLE campaign_members (
    campaign_id    TEXT NOT NULL REFERENCES campaigns (id),
    customer_id    TEXT NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED,
    grp            TEXT NOT NULL,
    sent_at        TEXT,
    opened_at      TEXT,
    clicked_at     TEXT,
    responded_at   TEXT,
    transaction_id TEXT,
    PRIMARY KEY (campaign_id, customer_id)
);
CREATE INDEX campaign_members_customer ON campaign_members (customer_id);
