-- A delivery's latest attempt is already on the delivery: its status,
-- SMTP code and reply, attempt count and last_attempt_at. Only attempts a
-- later one superseded (deferrals) need a row of their own; one row per
-- message cost an insert and an index entry on the hottest write path.
-- The rows kept so far stay, the latest attempts among them included.
ALTER TABLE delivery_attempts RENAME TO delivery_retries;
ALTER INDEX delivery_attempts_pkey RENAME TO delivery_retries_pkey;

-- Every attempt, as before: the superseded ones, and each delivery's
-- latest unless a row of its own holds it. A delivery a later report
-- marked bounced or complained was accepted by the relay: its attempt
-- was sent.
CREATE VIEW delivery_attempts AS
    SELECT delivery_id, attempt, at, status, smtp_code, smtp_reply FROM delivery_retries
    UNION ALL
    SELECT d.id, d.attempts, coalesce(d.last_attempt_at, d.sent_at, d.queued_at),
           CASE WHEN d.sent_at IS NOT NULL THEN 'sent' ELSE d.status END,
           d.smtp_code, d.smtp_reply
    FROM deliveries d
    WHERE d.attempts > 0
      AND (d.sent_at IS NOT NULL OR d.status IN ('bounced', 'failed'))
      AND NOT EXISTS (SELECT 1 FROM delivery_retries r WHERE r.delivery_id = d.id AND r.attempt = d.attempts);
