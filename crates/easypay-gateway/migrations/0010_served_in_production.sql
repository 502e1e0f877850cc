-- Set the first time a gateway serves this database outside sandbox mode (--no-sandbox). A
-- sandbox-mode start on such a database is refused: its unauthenticated control plane would let
-- anyone approve any merchant's orders and replace any merchant's keys.
CREATE TABLE served_in_production (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    first_served_at BIGINT NOT NULL
);
