-- Reckon's store, version 12: label texts without an index. Never edit once shipped.
--
-- The store numbers labels itself (`LabelIds`, every text of the table in memory while it
-- writes), so the UNIQUE index SQLite kept on `label.text` only cost: a new label is inserted at
-- a random place in it (a million-entry import spent a tenth of its time there, and a ten
-- million one read it back through the page cache). A label is found by text among the labels
-- a chain's blocks use (`block_label_total`), or by the store's map. The table is built again
-- without the index; ids and texts are kept as they are.
CREATE TABLE label_unindexed (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL
);
INSERT INTO label_unindexed (id, text) SELECT id, text FROM label ORDER BY id;
DROP TABLE label;
ALTER TABLE label_unindexed RENAME TO label;
