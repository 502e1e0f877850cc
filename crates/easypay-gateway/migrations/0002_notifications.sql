-- The transactional outbox: a notification row is written in the same transaction as the state
-- change that causes it, then delivered by a worker that claims rows with a lease.

CREATE TABLE notifications (
    id               TEXT PRIMARY KEY,
    mall_id          TEXT NOT NULL REFERENCES merchants (mall_id),
    kind             TEXT NOT NULL,
    pg_cno           TEXT NOT NULL,
    target_url       TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts_in_cycle BIGINT NOT NULL DEFAULT 0,
    attempts_total   BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);

CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_by_merchant ON notifications (mall_id, created_at);

CREATE TABLE notification_attempts (
    notification_id  TEXT NOT NULL REFERENCES notifications (id),
    attempt          BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    latency_ms       BIGINT NOT NULL,
    http_status      BIGINT,
    outcome          TEXT NOT NULL,
    response_excerpt TEXT,
    PRIMARY KEY (notification_id, attempt)
);
