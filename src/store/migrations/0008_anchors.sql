-- Reckon's store, version 8: anchors, balances stated at a point in time (a page's remaining
-- credits, an API's balance, a figure read off a screenshot) or set outright (a reset, an
-- opening balance), kept with their chain. The anchored walk checks a chain against them.
-- Never edit once shipped.

CREATE TABLE anchor (
    id       INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL REFERENCES chain (id),
    -- Unix microseconds, UTC: entries at or before it count before the anchor.
    ts       INTEGER NOT NULL,
    -- Micro-credits.
    balance  INTEGER NOT NULL,
    -- stated: checked against the walk; reset, opening: set the balance, unchecked.
    kind     TEXT NOT NULL CHECK (kind IN ('stated', 'reset', 'opening')),
    -- Where the figure came from; '' for none.
    note     TEXT NOT NULL DEFAULT '',
    -- Unix microseconds, when it was added.
    created  INTEGER NOT NULL
);

CREATE INDEX anchor_chain_time ON anchor (chain_id, ts, id);
