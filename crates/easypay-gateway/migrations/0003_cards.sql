-- Recurring card payments: registrations opened by webpay and completed in the window, the billing
-- keys issued from them, and the charges made with those keys. Card numbers and expiry dates are
-- stored only as AES-256-GCM ciphertext (`card_sealed`, decision 20); birth dates and card
-- passwords are never stored.

CREATE TABLE billing_registrations (
    window_token      TEXT PRIMARY KEY,
    mall_id           TEXT NOT NULL REFERENCES merchants (mall_id),
    shop_order_no     TEXT NOT NULL,
    -- The parsed webpay request: what the window shows and echoes back to returnUrl.
    request_json      TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    form_token        TEXT NOT NULL,
    state             TEXT NOT NULL,
    authorization_id  TEXT UNIQUE,
    card_sealed       TEXT,
    card_mask_no      TEXT,
    created_at        BIGINT NOT NULL,
    window_expires_at BIGINT NOT NULL,
    completed_at      BIGINT,
    closed_at         BIGINT,
    version           BIGINT NOT NULL DEFAULT 0,
    UNIQUE (mall_id, shop_order_no)
);

CREATE TABLE billing_keys (
    batch_key        TEXT PRIMARY KEY,
    mall_id          TEXT NOT NULL REFERENCES merchants (mall_id),
    authorization_id TEXT NOT NULL UNIQUE,
    pg_cno           TEXT NOT NULL UNIQUE,
    card_sealed      TEXT NOT NULL,
    card_mask_no     TEXT NOT NULL,
    state            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    removed_at       BIGINT,
    version          BIGINT NOT NULL DEFAULT 0
);

-- One row per approved charge. `cancelled_amount` and `version` are there for cancellations
-- (full and partial) to come: the balance is `amount - cancelled_amount`.
CREATE TABLE card_payments (
    pg_cno            TEXT PRIMARY KEY,
    mall_id           TEXT NOT NULL REFERENCES merchants (mall_id),
    shop_order_no     TEXT NOT NULL,
    batch_key         TEXT NOT NULL REFERENCES billing_keys (batch_key),
    amount            BIGINT NOT NULL,
    cancelled_amount  BIGINT NOT NULL DEFAULT 0,
    installment_month BIGINT NOT NULL,
    approval_no       TEXT NOT NULL,
    goods_name        TEXT NOT NULL,
    customer_json     TEXT,
    state             TEXT NOT NULL,
    approved_at       BIGINT NOT NULL,
    version           BIGINT NOT NULL DEFAULT 0,
    UNIQUE (mall_id, shop_order_no)
);

CREATE INDEX card_payments_by_key ON card_payments (batch_key);
