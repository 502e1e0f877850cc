-- A key whose day is over may be used again (decision 11); the answer it held moves here, in the
-- same transaction, so retrieveTransaction still finds the earlier day's transaction by
-- (shopTransactionId, date) (kicc-api §1.3, §3.7).
CREATE TABLE idempotency_replaced (
    mall_id             TEXT NOT NULL,
    endpoint            TEXT NOT NULL,
    shop_transaction_id TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    response_status     BIGINT NOT NULL,
    response_body       TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL
);
CREATE INDEX idempotency_replaced_by_key
    ON idempotency_replaced (mall_id, shop_transaction_id, created_at);
