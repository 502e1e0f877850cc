-- The registrations that still hold a sealed card (completed, no key issued yet): few, and swept
-- every minute for those whose authorizationId lapsed.
CREATE INDEX billing_registrations_holding_a_card
    ON billing_registrations (completed_at) WHERE card_sealed IS NOT NULL;
