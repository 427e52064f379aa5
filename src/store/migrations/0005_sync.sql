-- Reckon's store, version 5: where each chain was last synced from, and the API connections
-- the app keeps. Never a key: keys live in the OS keyring (or, where there is none, in
-- $RECKON_API_KEY or the app's memory for one session). Never edit once shipped.

-- The last sync that wrote to (or found nothing new for) a chain.
CREATE TABLE chain_sync (
    chain_id INTEGER PRIMARY KEY REFERENCES chain (id),
    -- Unix microseconds, UTC.
    at       INTEGER NOT NULL,
    -- The API: reverie, orb, stripe.
    source   TEXT NOT NULL,
    base_url TEXT NOT NULL,
    -- The customer asked for; '' for every customer (or a source without customers).
    customer TEXT NOT NULL DEFAULT ''
);

-- An API account the app syncs ("Connect account..."): where, and which customers.
CREATE TABLE sync_connection (
    id       INTEGER PRIMARY KEY,
    source   TEXT NOT NULL,
    base_url TEXT NOT NULL,
    -- '' for every customer (or a source without customers).
    customer TEXT NOT NULL DEFAULT '',
    UNIQUE (source, base_url, customer)
);
