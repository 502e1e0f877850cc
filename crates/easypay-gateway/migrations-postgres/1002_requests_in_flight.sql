-- Keyed card requests (issuance, charge, cancel) that some gateway process on this database is
-- still working on, so that a retrieveTransaction answered by another process says "still being
-- processed" (D003) rather than "not found" (F003). One row per request, deleted when it ends;
-- a row whose process died lapses at lapses_at. UNLOGGED: after a server crash no request is in
-- flight any more, and the rows need no WAL.
CREATE UNLOGGED TABLE requests_in_flight (
    entry_id            TEXT PRIMARY KEY,
    mall_id             TEXT NOT NULL,
    endpoint            TEXT NOT NULL,
    shop_transaction_id TEXT NOT NULL,
    lapses_at           BIGINT NOT NULL
);

CREATE INDEX requests_in_flight_key ON requests_in_flight (mall_id, shop_transaction_id);
