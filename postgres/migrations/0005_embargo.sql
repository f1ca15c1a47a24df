-- Embargo life cycle: a release can be lifted, postponed, recalled and
-- corrected; each sends a dispatch of its own kind, and corrections and
-- postponements can happen more than once.
ALTER TABLE dispatches DROP CONSTRAINT dispatches_variant_check;
ALTER TABLE dispatches ADD CONSTRAINT dispatches_variant_check
    CHECK (variant IN ('public', 'embargoed', 'correction', 'recall', 'embargo_changed'));
ALTER TABLE dispatches ADD COLUMN revision int NOT NULL DEFAULT 0;
ALTER TABLE dispatches DROP CONSTRAINT dispatches_release_id_variant_key;
ALTER TABLE dispatches ADD CONSTRAINT dispatches_release_variant_revision_key UNIQUE (release_id, variant, revision);

-- An embargoed notice not sent by the lift, or any send stopped by a
-- recall, is cancelled: it never goes out.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'bounced', 'complained', 'suppressed', 'cancelled'));

ALTER TABLE releases ADD COLUMN revision int NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN lifted_at timestamptz;
ALTER TABLE releases ADD COLUMN recalled_at timestamptz;
CREATE INDEX releases_embargo_due_idx ON releases (embargo_until) WHERE status = 'embargoed';

-- Who did what to which release, and when.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    release_id bigint REFERENCES releases (id),
    details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_release_idx ON audit_log (release_id, id);
