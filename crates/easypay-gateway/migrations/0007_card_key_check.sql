-- The fingerprint of the card key that seals this database's card data (SHA-256 over a label and
-- the key, not the key): a gateway process started with another key is refused at start instead
-- of failing every charge of a stored billing key.
CREATE TABLE card_key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
