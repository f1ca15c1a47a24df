-- Mails the public pages send to an address because someone asked for
-- them (a confirmation link, a preferences link). They are counted here,
-- not in a process's memory, so that neither a restart nor a flood of
-- other requests lets anyone make the service mail an inbox more often
-- than a few times a day.
CREATE TABLE subscriber_mails (
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('confirmation', 'preferences')),
    sent_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriber_mails_contact_idx ON subscriber_mails (contact_id, kind, sent_at);
