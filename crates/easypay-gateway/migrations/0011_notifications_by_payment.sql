-- A void withdraws its payment's undelivered approval notification, and the dashboard lists a
-- payment's notifications: both look notifications up by payment.
CREATE INDEX notifications_by_payment ON notifications (pg_cno);
