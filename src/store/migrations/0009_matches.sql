-- Reckon's store, version 9: matching two sources of one account (`reckon match`). A run
-- pairs the entries of two accounts; the entries either side left without a counterpart are
-- kept, and the next check reports each as an unmatched_across_sources. Running the match
-- of the same two accounts again replaces its run. Never edit once shipped.

CREATE TABLE match_run (
    id                INTEGER PRIMARY KEY,
    -- The two accounts, in the order they sort (a match of B with A is the same run).
    account_a         TEXT NOT NULL,
    account_b         TEXT NOT NULL,
    tolerance_seconds INTEGER NOT NULL,
    -- How many entries paired (by transaction ID, and in all).
    pairs_by_id       INTEGER NOT NULL,
    pairs             INTEGER NOT NULL,
    -- Unix microseconds, when it ran.
    created           INTEGER NOT NULL,
    UNIQUE (account_a, account_b)
);

CREATE TABLE match_unmatched (
    run_id        INTEGER NOT NULL REFERENCES match_run (id),
    -- The entry's stable id (chain_id * 2^32 + seq).
    entry_id      INTEGER NOT NULL,
    -- The account it has no counterpart in.
    other_account TEXT NOT NULL,
    PRIMARY KEY (run_id, entry_id)
);

CREATE INDEX match_unmatched_entry ON match_unmatched (entry_id);
