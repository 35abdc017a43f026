-- The PostgreSQL store's schema (see SCHEMA.md for every column).
--
-- The store runs this with `search_path` set to its own schema (`crm` unless the host
-- chose another), so the names below are created there, beside the host's own tables.
--
-- Ids are text in the "C" collation, so listings sort by the bytes of the id as the
-- contract requires. Money and quantities are NUMERIC (exact, scale kept). Times are
-- timestamptz, which keeps microseconds; the record's time and update time also keep the
-- nanoseconds below the microsecond (`*_nanos`, 0 to 999) so that ordering and range
-- filters are exact. Each record except transactions keeps its full JSON in `body`
-- (what the store reads back); every other column is a typed copy for SQL and BI tools.

CREATE TABLE customers (
    id              TEXT COLLATE "C" PRIMARY KEY,
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    owner           TEXT,
    lifecycle_stage TEXT,
    source          TEXT,
    tags            TEXT[] NOT NULL DEFAULT '{}',
    email           TEXT,
    phone           TEXT,
    account_id      TEXT COLLATE "C",
    parent_id       TEXT COLLATE "C",
    created_at      TIMESTAMPTZ NOT NULL,
    created_nanos   SMALLINT NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL,
    updated_nanos   SMALLINT NOT NULL DEFAULT 0,
    attributes      JSONB NOT NULL DEFAULT '{}',
    body            JSONB NOT NULL
);
CREATE INDEX customers_owner ON customers (owner);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_account ON customers (account_id);
CREATE INDEX customers_parent ON customers (parent_id);
CREATE INDEX customers_tags ON customers USING gin (tags);

CREATE TABLE interactions (
    id               TEXT COLLATE "C" PRIMARY KEY,
    version          BIGINT NOT NULL,
    customer_id      TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    owner            TEXT,
    channel          TEXT NOT NULL,
    direction        TEXT NOT NULL,
    occurred_at      TIMESTAMPTZ NOT NULL,
    occurred_nanos   SMALLINT NOT NULL DEFAULT 0,
    duration_seconds NUMERIC,
    ticket_id        TEXT COLLATE "C",
    deal_id          TEXT COLLATE "C",
    body             JSONB NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id);
CREATE INDEX interactions_owner ON interactions (owner);
CREATE INDEX interactions_time ON interactions (occurred_at, occurred_nanos, id);

CREATE TABLE tickets (
    id                TEXT COLLATE "C" PRIMARY KEY,
    version           BIGINT NOT NULL,
    customer_id       TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    owner             TEXT,
    status            TEXT NOT NULL,
    category          TEXT NOT NULL,
    priority          TEXT NOT NULL,
    channel           TEXT NOT NULL,
    tags              TEXT[] NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL,
    created_nanos     SMALLINT NOT NULL DEFAULT 0,
    first_response_at TIMESTAMPTZ,
    solved_at         TIMESTAMPTZ,
    closed_at         TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL,
    updated_nanos     SMALLINT NOT NULL DEFAULT 0,
    body              JSONB NOT NULL
);
CREATE INDEX tickets_customer ON tickets (customer_id);
CREATE INDEX tickets_owner ON tickets (owner);
CREATE INDEX tickets_status ON tickets (status);
CREATE INDEX tickets_tags ON tickets USING gin (tags);

CREATE TABLE deals (
    id            TEXT COLLATE "C" PRIMARY KEY,
    version       BIGINT NOT NULL,
    customer_id   TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    owner         TEXT,
    stage         TEXT NOT NULL,
    amount        NUMERIC NOT NULL,
    currency      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_nanos SMALLINT NOT NULL DEFAULT 0,
    closed_at     TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_nanos SMALLINT NOT NULL DEFAULT 0,
    body          JSONB NOT NULL
);
CREATE INDEX deals_customer ON deals (customer_id);
CREATE INDEX deals_owner ON deals (owner);
CREATE INDEX deals_stage ON deals (stage);

CREATE TABLE transactions (
    id             TEXT COLLATE "C" PRIMARY KEY,
    version        BIGINT NOT NULL,
    customer_id    TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    occurred_at    TIMESTAMPTZ NOT NULL,
    occurred_nanos SMALLINT NOT NULL DEFAULT 0,
    amount         NUMERIC NOT NULL,
    currency       TEXT NOT NULL,
    quantity       NUMERIC NOT NULL,
    external_id    TEXT,
    product        TEXT,
    category       TEXT,
    channel        TEXT
);
CREATE INDEX transactions_customer ON transactions (customer_id, occurred_at);
CREATE INDEX transactions_time ON transactions (occurred_at, occurred_nanos, id);

CREATE TABLE survey_responses (
    id              TEXT COLLATE "C" PRIMARY KEY,
    version         BIGINT NOT NULL,
    customer_id     TEXT COLLATE "C" NOT NULL REFERENCES customers (id),
    kind            TEXT NOT NULL,
    score           SMALLINT NOT NULL,
    scale_min       SMALLINT NOT NULL,
    scale_max       SMALLINT NOT NULL,
    ticket_id       TEXT COLLATE "C",
    interaction_id  TEXT COLLATE "C",
    tags            TEXT[] NOT NULL DEFAULT '{}',
    responded_at    TIMESTAMPTZ NOT NULL,
    responded_nanos SMALLINT NOT NULL DEFAULT 0,
    body            JSONB NOT NULL
);
CREATE INDEX survey_responses_customer ON survey_responses (customer_id);
CREATE INDEX survey_responses_time ON survey_responses (responded_at, responded_nanos, id);
