-- Messages the service sends one at a time, outside any release:
-- subscription confirmations, preferences links, password resets,
-- welcome links and test sends. Each is recorded in the transaction of the
-- change that calls for it, complete and ready for the wire (signed only
-- when it leaves), and sent by the dispatcher's workers ahead of release
-- traffic, with the same retries and bookkeeping as a delivery.
CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('confirmation', 'preferences', 'reset', 'welcome', 'test')),
    contact_id      bigint REFERENCES contacts (id) ON DELETE SET NULL,
    user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    release_id      bigint REFERENCES releases (id) ON DELETE CASCADE,
    to_email        text NOT NULL,
    language        text NOT NULL DEFAULT '',
    data            bytea NOT NULL,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'bounced', 'cancelled')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    smtp_code       int,
    smtp_reply      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
-- What workers look for many times a second: only rows still to send.
CREATE INDEX messages_due_idx ON messages (next_attempt_at, id) WHERE status IN ('queued', 'deferred');
CREATE INDEX messages_contact_idx ON messages (contact_id, id) WHERE contact_id IS NOT NULL;
CREATE INDEX messages_release_idx ON messages (release_id, id) WHERE release_id IS NOT NULL;
