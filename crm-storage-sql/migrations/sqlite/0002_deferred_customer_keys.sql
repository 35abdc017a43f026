-- The customer keys of the batch-appended tables (interactions, transactions, survey
-- responses) are checked when the transaction commits instead of after every statement.
--
-- A batch append is one transaction of multi-row INSERTs. An immediately checked key lets
-- each INSERT fail halfway, so SQLite keeps a statement journal (a copy of every page the
-- statement touches) to undo just that statement. Checked at commit, a missing customer
-- still refuses the whole batch (the store rolls the transaction back), and the journal is
-- not needed. A single write outside a transaction is checked when it ends, as before.
--
-- SQLite cannot alter a constraint, so each table is rebuilt with its rows and indexes.
-- DEFERRABLE INITIALLY DEFERRED is standard SQL (PostgreSQL accepts it as written).

CREATE TABLE interactions_new (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED,
    owner       TEXT,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
INSERT INTO interactions_new (id, version, customer_id, owner, at, body)
    SELECT id, version, customer_id, owner, at, body FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_new RENAME TO interactions;
CREATE INDEX interactions_customer ON interactions (customer_id);
CREATE INDEX interactions_owner ON interactions (owner);

CREATE TABLE transactions_new (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED,
    at          TEXT NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    external_id TEXT,
    product     TEXT,
    category    TEXT,
    channel     TEXT
);
INSERT INTO transactions_new (id, version, customer_id, at, amount, currency, quantity,
                              external_id, product, category, channel)
    SELECT id, version, customer_id, at, amount, currency, quantity,
           external_id, product, category, channel
    FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_new RENAME TO transactions;
CREATE INDEX transactions_customer ON transactions (customer_id);
CREATE INDEX transactions_time ON transactions (at, id);

CREATE TABLE survey_responses_new (
    id          TEXT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED,
    tags        TEXT,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
INSERT INTO survey_responses_new (id, version, customer_id, tags, at, body)
    SELECT id, version, customer_id, tags, at, body FROM survey_responses;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_new RENAME TO survey_responses;
CREATE INDEX survey_responses_customer ON survey_responses (customer_id);
CREATE INDEX survey_responses_time ON survey_responses (at, id);
