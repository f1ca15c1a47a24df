-- Double opt-in: consent_* record the subscription request (time, source,
-- client address); these record the confirmation by e-mail that made it
-- effective, which a consent record must be able to show as well.
ALTER TABLE contacts
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN confirmed_ip text NOT NULL DEFAULT '';
