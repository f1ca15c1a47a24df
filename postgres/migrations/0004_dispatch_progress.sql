-- Every SMTP attempt of every delivery, as the SMTP server answered it.
-- No foreign key: deliveries are never deleted, and the check would cost
-- a lookup per row on the hottest write path.
CREATE TABLE delivery_attempts (
    delivery_id bigint NOT NULL,
    attempt     int NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL,
    smtp_code   int,
    smtp_reply  text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

-- Planning records its audience chunk by chunk; a planner that takes over
-- a dispatch resumes after the last contact id its predecessor finished.
ALTER TABLE dispatches ADD COLUMN planned_through bigint NOT NULL DEFAULT 0;

-- Workers claim queued deliveries by id range within a dispatch; without
-- this, each claim would scan every queued row of the dispatch.
CREATE INDEX deliveries_queued_idx ON deliveries (dispatch_id, id) WHERE status = 'queued';
