-- A merchant's cancels (full or partial) of approved payments, WeChat and card alike. The payment
-- row holds what remains; each cancel is its own transaction with its own cancelPgCno.

CREATE TABLE cancels (
    cancel_pg_cno       TEXT PRIMARY KEY,
    pg_cno              TEXT NOT NULL,
    mall_id             TEXT NOT NULL REFERENCES merchants (mall_id),
    method              TEXT NOT NULL,
    revise_type         TEXT NOT NULL,
    amount              BIGINT NOT NULL,
    remain_after        BIGINT NOT NULL,
    shop_transaction_id TEXT NOT NULL,
    memo                TEXT,
    created_at          BIGINT NOT NULL
);

CREATE INDEX cancels_by_payment ON cancels (pg_cno);
