-- A resend starts a new delivery cycle. An attempt that was in flight when it did belongs to the
-- cycle before: it is recorded, but its outcome (next try, failed, delivered) must not undo the
-- resend. Each resend counts one more cycle; an attempt settles the notification only if the
-- cycle is still the one in which it was claimed.
ALTER TABLE notifications ADD COLUMN cycle BIGINT NOT NULL DEFAULT 0;
