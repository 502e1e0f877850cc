-- A removed billing key keeps only what its answers need (B006, its mask): its sealed card number
-- and expiry are erased (''), as a removal now does in the same statement that removes it.
UPDATE billing_keys SET card_sealed = '' WHERE state = 'removed';
