-- PostgreSQL only (SQLite keeps the key: it cannot drop a constraint without rebuilding the table,
-- and there the check costs a lookup in the writer's warm cache).
--
-- The foreign key from payments to merchants made every payment insert lock its merchant's row
-- FOR KEY SHARE; concurrent batches for one merchant then share that lock through a multixact.
-- That was ~7 % of PostgreSQL's time per create (docs/performance.md). It guarded nothing that can
-- happen: merchants are never deleted (only deactivated), and every write that inserts a payment
-- checks in the same statement or transaction that its merchant exists and is active.
ALTER TABLE payments DROP CONSTRAINT payments_mall_id_fkey;
