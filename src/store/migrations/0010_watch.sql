-- Reckon's store, version 10: keeping watch over a ledger. Each check of a chain is a run
-- (`check_run`) with what changed since the chain's previous run (`check_change`: findings
-- new, resolved, explained); `check_seen` is the set of findings the last run saw, which the
-- next run is compared with. `low_balance` is the balance below which a chain warns (at each
-- sync and check). Never edit once shipped.

CREATE TABLE check_run (
    id            INTEGER PRIMARY KEY,
    chain_id      INTEGER NOT NULL REFERENCES chain (id),
    -- Unix microseconds, when it ran; a run that changed nothing after one that changed
    -- nothing is folded into it: `last_at` is its latest time, `runs` how many it stands for.
    at            INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    runs          INTEGER NOT NULL DEFAULT 1,
    -- Whether the chain had no run before (every finding it saw is new).
    first         INTEGER NOT NULL,
    -- What the check saw: entries, open errors, open warnings, explained findings.
    entries       INTEGER NOT NULL,
    errors        INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    explained     INTEGER NOT NULL,
    -- How many findings were new, resolved, explained since the previous run.
    new_count       INTEGER NOT NULL,
    resolved_count  INTEGER NOT NULL,
    explained_count INTEGER NOT NULL,
    -- The balance the check ended at (micro-credits; NULL where none is known).
    balance       INTEGER
);

CREATE INDEX check_run_chain ON check_run (chain_id, id);

CREATE TABLE check_change (
    run_id          INTEGER NOT NULL REFERENCES check_run (id),
    -- 'new', 'resolved' or 'explained'.
    change          TEXT NOT NULL,
    finding_id      TEXT NOT NULL,
    -- The finding kind's name (FORMATS.md section 2).
    kind            TEXT NOT NULL,
    -- Micro-credits, where the finding has a delta.
    delta           INTEGER,
    -- A JSON array of the transaction IDs it names.
    transaction_ids TEXT NOT NULL,
    PRIMARY KEY (run_id, finding_id)
);

CREATE TABLE check_seen (
    chain_id        INTEGER NOT NULL REFERENCES chain (id),
    finding_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    delta           INTEGER,
    transaction_ids TEXT NOT NULL,
    -- Whether it carried a note (explained) at the last run.
    explained       INTEGER NOT NULL,
    PRIMARY KEY (chain_id, finding_id)
);

CREATE TABLE low_balance (
    chain_id    INTEGER PRIMARY KEY REFERENCES chain (id),
    -- Micro-credits: below this the chain warns.
    threshold   INTEGER NOT NULL,
    -- Unix microseconds since the balance was last seen below it; NULL while at or above.
    below_since INTEGER
);
