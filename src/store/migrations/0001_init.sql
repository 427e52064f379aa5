-- Reckon's store, version 1. Never edit once shipped: add a new numbered file instead.

-- One row per imported file, for audit.
CREATE TABLE source_file (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL,
    format       TEXT NOT NULL,
    file_hash    TEXT NOT NULL,       -- xxh3 of the whole file: a re-import of it is recognised
    bytes        INTEGER NOT NULL,
    imported_at  TEXT NOT NULL,
    entries_new  INTEGER NOT NULL,
    entries_known INTEGER NOT NULL,
    entries_conflicting INTEGER NOT NULL,
    chain_id     INTEGER NOT NULL REFERENCES chain (id)
);

-- One ledger: an account's balance in one credit currency.
CREATE TABLE chain (
    id              INTEGER PRIMARY KEY,
    account         TEXT NOT NULL,
    currency        TEXT NOT NULL,
    stated_balance  INTEGER,          -- micro-credits: what the vendor's page states now
    opening_balance INTEGER,          -- micro-credits: the balance before the oldest entry
    UNIQUE (account, currency)
);

-- Interned text: types, descriptions, characters, models.
CREATE TABLE label (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);

CREATE TABLE entry (
    id            INTEGER PRIMARY KEY,
    chain_id      INTEGER NOT NULL REFERENCES chain (id),
    txn_id        TEXT NOT NULL,
    ts            INTEGER NOT NULL,   -- Unix microseconds, UTC
    seq           INTEGER NOT NULL,   -- walk order among entries of the chain sharing ts
    type_id       INTEGER NOT NULL REFERENCES label (id),
    description_id INTEGER NOT NULL REFERENCES label (id),
    amount        INTEGER NOT NULL,   -- micro-credits
    balance_after INTEGER NOT NULL,   -- micro-credits
    character_id  INTEGER REFERENCES label (id),
    model_id      INTEGER REFERENCES label (id),
    source_id     INTEGER NOT NULL REFERENCES source_file (id),
    source_line   INTEGER NOT NULL,
    source_offset INTEGER NOT NULL    -- byte offset of the row in its source file
);

-- A transaction ID seen again with different content: kept, never merged.
CREATE TABLE conflict (
    id            INTEGER PRIMARY KEY,
    chain_id      INTEGER NOT NULL REFERENCES chain (id),
    txn_id        TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    type_id       INTEGER NOT NULL,
    description_id INTEGER NOT NULL,
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    character_id  INTEGER,
    model_id      INTEGER,
    source_id     INTEGER NOT NULL REFERENCES source_file (id),
    source_line   INTEGER NOT NULL,
    source_offset INTEGER NOT NULL,
    content_hash  INTEGER NOT NULL,
    UNIQUE (chain_id, txn_id, content_hash)
);

-- Entries and credits per chain and type, added to by every import (entries are never deleted
-- or changed), so the summary bar of an unfiltered or type-filtered view, and the position of a
-- deep page, need no scan.
CREATE TABLE chain_type_total (
    chain_id    INTEGER NOT NULL REFERENCES chain (id),
    type_id     INTEGER NOT NULL REFERENCES label (id),
    entries     INTEGER NOT NULL,
    credits_in  INTEGER NOT NULL,   -- micro-credits
    credits_out INTEGER NOT NULL,   -- micro-credits, zero or negative
    PRIMARY KEY (chain_id, type_id)
) WITHOUT ROWID;

-- "Mark as explained": keyed by the stable finding id, so it survives re-imports.
CREATE TABLE finding_note (
    finding_id   TEXT PRIMARY KEY,
    note         TEXT NOT NULL,
    explained_at TEXT NOT NULL
);

-- Pages of a chain by time, by type and time, and transaction ID lookups (exact and prefix).
-- The amount rides along so the totals of a filtered view read the index alone.
-- The character and model indexes are built the first time a view filters on them
-- (store/query.rs: FILTER_INDEXES): each costs a sixth of the database and of import time, and
-- most ledgers are never filtered that way.
CREATE UNIQUE INDEX entry_chain_txn ON entry (chain_id, txn_id);
CREATE INDEX entry_chain_time ON entry (chain_id, ts, seq, amount);
CREATE INDEX entry_chain_type ON entry (chain_id, type_id, ts, seq, amount);
