-- The CRM store's schema. Plain SQL that SQLite and PostgreSQL both accept.
--
-- Every table keys records by the host's id (as text) and keeps a version for optimistic
-- concurrency. Times are fixed-width UTC text (2024-05-02T10:30:00.000000000Z), which sorts
-- as the times do. Money is exact decimal text plus an ISO 4217 code: no floating point.
-- Tags are stored as one text per record, each tag framed by U+001F (tags cannot contain
-- control characters). Records other than transactions keep their full JSON in `body`;
-- the other columns are copies for filtering and indexing.

CREATE TABLE customers (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    owner       TEXT,
    status      TEXT,
    tags        TEXT,
    at          TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    account_id  TEXT,
    parent_id   TEXT,
    body        TEXT NOT NULL
);
CREATE INDEX customers_owner ON customers (owner);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_account ON customers (account_id);
CREATE INDEX customers_parent ON customers (parent_id);

CREATE TABLE interactions (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    owner       TEXT,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id);
CREATE INDEX interactions_owner ON interactions (owner);

CREATE TABLE tickets (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    owner       TEXT,
    status      TEXT NOT NULL,
    tags        TEXT,
    at          TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX tickets_customer ON tickets (customer_id);
CREATE INDEX tickets_owner ON tickets (owner);

CREATE TABLE deals (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    owner       TEXT,
    status      TEXT NOT NULL,
    at          TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX deals_customer ON deals (customer_id);
CREATE INDEX deals_owner ON deals (owner);

CREATE TABLE transactions (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    at          TEXT NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    external_id TEXT,
    product     TEXT,
    category    TEXT,
    channel     TEXT
);
CREATE INDEX transactions_customer ON transactions (customer_id);
CREATE INDEX transactions_time ON transactions (at, id);

CREATE TABLE survey_responses (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    tags        TEXT,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX survey_responses_customer ON survey_responses (customer_id);
CREATE INDEX survey_responses_time ON survey_responses (at, id);
