-- Reckon's store, version 11: how often the app syncs each connection on its own while it
-- runs (a scheduled sync, then a check). Never edit once shipped.
--
-- The column is added by the Rust step (`migrate.rs`, `add_sync_period`), which adds it only
-- where it is missing: `sync_connection.period_secs INTEGER NOT NULL DEFAULT 900`, seconds
-- between two scheduled syncs, 0 for only when asked (Sync now); the default, 15 minutes,
-- applies to the connections kept before this version too.
UPDATE sync_connection SET id = id WHERE 0;
