-- Operability: the id of the request that queued a notification (its `x-request-id`), so the
-- worker's log lines about each attempt name the request that caused it. NULL for rows written
-- outside a request (and for rows older than this migration).

ALTER TABLE notifications ADD COLUMN request_id TEXT;
