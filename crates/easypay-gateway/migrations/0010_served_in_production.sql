-- Set the first time a gateway serves this database outside sandbox mode (--no-sandbox). A
-- sandbox-mode start on such a database is refused: its unauthenticated control plane would let
-- anyone approve any merchant's orders and replace any merchant's keys.
CREATE TABLE served_in_production (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    -- NULL: inferred when the table was made, time unknown (below).
    first_served_at BIGINT
);
-- A database served outside sandbox mode before this table existed: such a start deactivated the
-- sandbox merchant (it held the public sandbox secrets), and only `easypay merchant deactivate`
-- does so otherwise, which an operator of a production database may well have run. (No secret is
-- named here: statements are logged at the debug level.)
INSERT INTO served_in_production (id, first_served_at)
SELECT 1, NULL FROM merchants WHERE mall_id = 'T5102001' AND active = 0;
