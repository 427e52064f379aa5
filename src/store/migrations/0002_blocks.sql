-- Reckon's store, version 2: entries packed in blocks (store/block.rs). The Rust half of this
-- migration (store/mod.rs: `move_entries_to_blocks`) moves the rows of version 1's `entry`
-- table into blocks and drops it. Never edit once shipped.

-- A chain's entries in walk order, BLOCK (4096) to a row. id = chain_id * 2^32 + block number;
-- every block but the chain's last is full.
CREATE TABLE entry_block (
    id           INTEGER PRIMARY KEY,
    chain_id     INTEGER NOT NULL REFERENCES chain (id),
    entries      INTEGER NOT NULL,
    first_ts     INTEGER NOT NULL,    -- Unix microseconds, UTC
    last_ts      INTEGER NOT NULL,
    last_balance INTEGER NOT NULL,    -- micro-credits: the block's last entry's balance after
    data         BLOB NOT NULL
);
CREATE INDEX entry_block_chain ON entry_block (chain_id, id);

-- Entries and credits per block and type, character or model: the summary bar, the filter
-- lists and the position of a filtered page without decoding a block.
CREATE TABLE block_label_total (
    block_id    INTEGER NOT NULL REFERENCES entry_block (id),
    field       INTEGER NOT NULL,     -- 0 type, 1 character, 2 model
    label_id    INTEGER NOT NULL,     -- 0 where the entry has no character or model
    entries     INTEGER NOT NULL,
    credits_in  INTEGER NOT NULL,     -- micro-credits
    credits_out INTEGER NOT NULL,     -- micro-credits, zero or negative
    PRIMARY KEY (block_id, field, label_id)
) WITHOUT ROWID;
