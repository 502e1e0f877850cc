-- Where each notification attempt went: a card notification follows the merchant's notiUrl as it
-- is at each attempt, so one notification's attempts may go to several URLs. Attempts recorded
-- before this column have none.
ALTER TABLE notification_attempts ADD COLUMN target_url TEXT;
