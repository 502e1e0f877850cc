-- One schema for SQLite and PostgreSQL. Times are Unix milliseconds (UTC); amounts are integers
-- in the currency's minor unit.
CREATE TABLE merchants (
    mall_id     TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_key  TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    noti_url    TEXT,
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE payments (
    pg_cno          TEXT PRIMARY KEY,
    mall_id         TEXT NOT NULL REFERENCES merchants (mall_id),
    shop_order_no   TEXT NOT NULL,
    method          TEXT NOT NULL,
    page_token      TEXT NOT NULL UNIQUE,
    trade_type      TEXT NOT NULL,
    goods_name      TEXT NOT NULL,
    currency        TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    return_url      TEXT NOT NULL,
    notify_url      TEXT NOT NULL,
    customer_json   TEXT,
    state           TEXT NOT NULL,
    approved_amount BIGINT,
    cancelled_amount BIGINT NOT NULL DEFAULT 0,
    approved_at     BIGINT,
    closed_at       BIGINT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 0,
    UNIQUE (mall_id, shop_order_no)
);

CREATE TABLE idempotency_keys (
    mall_id             TEXT NOT NULL,
    endpoint            TEXT NOT NULL,
    shop_transaction_id TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    response_status     BIGINT NOT NULL,
    response_body       TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    PRIMARY KEY (mall_id, endpoint, shop_transaction_id)
);

-- Decision 15: a merchant's shopOrderNo is unique among its payments (every method) and,
-- separately, among its billing-key registrations.
CREATE TABLE order_numbers (
    mall_id       TEXT NOT NULL,
    scope         TEXT NOT NULL,
    shop_order_no TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (mall_id, scope, shop_order_no)
);
