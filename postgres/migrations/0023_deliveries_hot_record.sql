-- Recording a delivery's outcome changed its status, which three indexes
-- named (one as a column, two in their predicates), and, behind a relay
-- that answers with its queue id, provider_id, so PostgreSQL could
-- not make it a heap-only (HOT) update: every send wrote a new row
-- version on another page and an entry in each of the table's indexes.
-- No index names status now, nor any column a first attempt changes:
--   - a dispatch's deliveries are found by (dispatch_id, id), and the
--     status is read from the row;
--   - next_attempt_at is set when a delivery is deferred and kept until
--     its retry is recorded, so the deliveries with a retry pending or
--     under way are the few rows that have one;
--   - the relay's ids live in a table of their own: one narrow row and
--     one index entry per message, where the indexed column cost a new
--     version of the delivery and an entry in each of its indexes.
-- Measured at 100,000 deliveries: HOT updates 0.89 to 1.74 per delivery,
-- WAL 1,120 to 833 bytes per delivery, PostgreSQL backends' CPU 11.7 to
-- 9.0 s.
DROP INDEX deliveries_dispatch_status_idx;
DROP INDEX deliveries_queued_idx;
DROP INDEX deliveries_retry_idx;
-- Rows that were deferred, then closed by something other than a retry
-- (a lift, a recall, a bounce report), kept next_attempt_at until now.
UPDATE deliveries SET next_attempt_at = NULL
WHERE next_attempt_at IS NOT NULL AND status NOT IN ('queued', 'deferred');
CREATE INDEX deliveries_dispatch_idx ON deliveries (dispatch_id, id);
CREATE INDEX deliveries_retry_idx ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_retrying_idx ON deliveries (dispatch_id) WHERE next_attempt_at IS NOT NULL;

-- No foreign key, for the reason of migration 0022: its check would lock
-- each delivery's row as its id is recorded. An id outlives nothing:
-- deliveries are never deleted once sent.
CREATE TABLE delivery_provider_ids (
    provider_id text NOT NULL,
    delivery_id bigint NOT NULL,
    PRIMARY KEY (provider_id, delivery_id)
);
INSERT INTO delivery_provider_ids (provider_id, delivery_id)
SELECT provider_id, id FROM deliveries WHERE provider_id IS NOT NULL;
-- deliveries.provider_id stays, unread and no longer written, so that a
-- dispatcher of the previous version still records its outcomes while
-- an upgrade rolls (it would otherwise fail to, and its messages would
-- go again); the ids it writes there meanwhile are not matched.
DROP INDEX deliveries_provider_id_idx;
