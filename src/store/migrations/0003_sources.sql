-- Reckon's store, version 3: chains know their source and its label dimensions, entries keep
-- their ids for the life of the database. The Rust half (store/mod.rs: `number_entries`)
-- re-encodes version 1 blocks as version 2 (sequence numbers = positions) and fills in each
-- block's lowest and highest sequence number. Never edit once shipped.

-- The source whose entries a chain holds (`reverie`); earlier versions read only Reverie.
ALTER TABLE chain ADD COLUMN source TEXT NOT NULL DEFAULT 'reverie';

-- The label dimensions beyond the type that a chain's entries carry, as its source declares
-- them. `field` is the number `block_label_total.field` uses: 1 for the first dimension.
CREATE TABLE chain_dimension (
    chain_id INTEGER NOT NULL REFERENCES chain (id),
    field    INTEGER NOT NULL,
    key      TEXT NOT NULL,
    title    TEXT NOT NULL,
    PRIMARY KEY (chain_id, field)
) WITHOUT ROWID;
INSERT INTO chain_dimension (chain_id, field, key, title) SELECT id, 1, 'character', 'Character' FROM chain;
INSERT INTO chain_dimension (chain_id, field, key, title) SELECT id, 2, 'model', 'Model' FROM chain;

-- Lowest and highest sequence number (an entry's id within its chain) in each block. A table
-- of its own: columns added to `entry_block` would sit after its ~190 KB `data`, and reading
-- them would walk every block's overflow pages.
CREATE TABLE block_seq (
    block_id INTEGER PRIMARY KEY REFERENCES entry_block (id),
    min_seq  INTEGER NOT NULL,
    max_seq  INTEGER NOT NULL
);

-- A conflicting version's third and fourth dimensions (`character_id` and `model_id` hold the
-- first two).
ALTER TABLE conflict ADD COLUMN dim3_id INTEGER;
ALTER TABLE conflict ADD COLUMN dim4_id INTEGER;
