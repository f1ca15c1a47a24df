-- Deliveries are written only by the planner, for a dispatch it has just
-- read, and dispatches are never deleted: the foreign key's lookup per
-- row cost a quarter of the time to record an audience.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_dispatch_id_fkey;
