-- Reckon's store, version 6: what a chain should hold, kept apart from the blocks that hold it,
-- so a block that is gone (not only one that reads wrong) is noticed; and a checksum of the
-- label table, which every block's type, description and dimensions point into. The Rust half
-- (store/mod.rs: `count_chains_and_labels`) fills both from what the file holds now. Never
-- edit once shipped.

-- Entries and blocks the chain's blocks hold, written in the same transaction as the blocks.
ALTER TABLE chain ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chain ADD COLUMN block_count INTEGER NOT NULL DEFAULT 0;
-- 1 when a repair dropped blocks no file can restore (a synced ledger): the chain's next sync
-- fetches its whole ledger again, and reads of it are refused until then.
ALTER TABLE chain ADD COLUMN resync INTEGER NOT NULL DEFAULT 0;

-- One row: how many labels there are and the wrapping sum of xxh3(id, text) over them. Labels
-- are only ever added, so each write adds its new labels to both.
CREATE TABLE label_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    labels INTEGER NOT NULL,
    hash   INTEGER NOT NULL
);
