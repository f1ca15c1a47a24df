-- Opens and clicks are counted only for a release that asks for them;
-- most press offices do not, and the default is off.
ALTER TABLE releases ADD COLUMN track_opens boolean NOT NULL DEFAULT false;
ALTER TABLE releases ADD COLUMN track_clicks boolean NOT NULL DEFAULT false;

-- The id the relay gave a message when it took it ("queued as …"):
-- provider webhooks that do not carry our Message-ID name the message by
-- it. Only sent deliveries have one.
ALTER TABLE deliveries ADD COLUMN provider_id text;
CREATE INDEX deliveries_provider_id_idx ON deliveries (provider_id) WHERE provider_id IS NOT NULL;

-- Opens and clicks per delivery: counts and times only, never who or
-- from where (no address, no user agent). One row per delivery, written
-- by one INSERT … ON CONFLICT per request.
CREATE TABLE engagement (
    delivery_id    bigint PRIMARY KEY REFERENCES deliveries (id),
    opens          int NOT NULL DEFAULT 0,
    first_open_at  timestamptz,
    last_open_at   timestamptz,
    clicks         int NOT NULL DEFAULT 0,
    first_click_at timestamptz,
    last_click_at  timestamptz
);

-- Clicks per delivery and link, for the report's links and the
-- delivery's timeline. url is the link's target as the message had it.
CREATE TABLE engagement_links (
    delivery_id bigint NOT NULL REFERENCES deliveries (id),
    url         text NOT NULL,
    clicks      int NOT NULL DEFAULT 0,
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, url)
);
