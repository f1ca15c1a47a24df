-- Mail that comes back after a message left: bounces, complaints,
-- unsubscribe mail and auto-replies, each with its classification, what
-- it matched and what it did. The raw message is kept only up to a cap:
-- enough to read a bounce again, never a mailbox's worth of attachments.
CREATE TABLE inbound (
    id                  bigserial PRIMARY KEY,
    received_at         timestamptz NOT NULL DEFAULT now(),
    -- smtp for the bounce listener, else the provider whose webhook
    -- reported it; event_id is the provider's id, which its retries keep.
    source              text NOT NULL DEFAULT 'smtp',
    event_id            text,
    envelope_from       text NOT NULL DEFAULT '',
    envelope_to         text NOT NULL DEFAULT '',
    kind                text NOT NULL
                        CHECK (kind IN ('hard', 'soft', 'delayed', 'complaint', 'unsubscribe', 'auto_reply', 'unknown')),
    reason              text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT '',
    diagnostic          text NOT NULL DEFAULT '',
    feedback_type       text NOT NULL DEFAULT '',
    recipient           text NOT NULL DEFAULT '',
    delivery_id         bigint REFERENCES deliveries (id),
    message_id          bigint REFERENCES messages (id) ON DELETE SET NULL,
    contact_id          bigint REFERENCES contacts (id) ON DELETE SET NULL,
    original_message_id text NOT NULL DEFAULT '',
    effect              text NOT NULL DEFAULT '',
    size                int NOT NULL DEFAULT 0,
    raw                 bytea NOT NULL DEFAULT ''
);
CREATE INDEX inbound_kind_idx ON inbound (kind, id);
CREATE INDEX inbound_delivery_idx ON inbound (delivery_id) WHERE delivery_id IS NOT NULL;
-- The soft-bounce rule counts an address's recent soft bounces.
CREATE INDEX inbound_soft_idx ON inbound (recipient, received_at) WHERE kind = 'soft';
CREATE UNIQUE INDEX inbound_event_key ON inbound (source, event_id) WHERE event_id IS NOT NULL;
