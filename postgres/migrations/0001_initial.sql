-- Taxonomy: regions are named sets of countries; built-in ones follow UN M49.
CREATE TABLE regions (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    parent_slug text REFERENCES regions (slug),
    m49         text,
    names       jsonb NOT NULL DEFAULT '{}',
    builtin     boolean NOT NULL DEFAULT false
);

CREATE TABLE region_countries (
    region_slug text NOT NULL REFERENCES regions (slug) ON DELETE CASCADE,
    country     char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    PRIMARY KEY (region_slug, country)
);
CREATE INDEX region_countries_country_idx ON region_countries (country);

CREATE TABLE topics (
    slug  text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    names jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE contacts (
    id             bigserial PRIMARY KEY,
    email          text NOT NULL CHECK (email <> ''),
    kind           text NOT NULL CHECK (kind IN ('journalist', 'mission', 'press_officer')),
    name           text NOT NULL DEFAULT '',
    organisation   text NOT NULL DEFAULT '',
    country        char(2) CHECK (country ~ '^[A-Z]{2}$'),
    languages      text[] NOT NULL DEFAULT '{}',
    timezone       text NOT NULL DEFAULT 'UTC',
    verified       boolean NOT NULL DEFAULT false,
    status         text NOT NULL DEFAULT 'active'
                   CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'blocked')),
    phone          text NOT NULL DEFAULT '',
    title          text NOT NULL DEFAULT '',
    consent_at     timestamptz,
    consent_source text NOT NULL DEFAULT '',
    consent_ip     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Addresses are unique regardless of case.
CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email));
CREATE INDEX contacts_kind_country_idx ON contacts (kind, country);

CREATE TABLE subscriptions (
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('region', 'country', 'topic')),
    value      text NOT NULL,
    PRIMARY KEY (contact_id, kind, value)
);
CREATE INDEX subscriptions_kind_value_idx ON subscriptions (kind, value);

-- Addresses that must never be sent to again, whatever their contact row says.
CREATE TABLE suppressions (
    email      text PRIMARY KEY CHECK (email = lower(email)),
    reason     text NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'blocked')),
    detail     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE releases (
    id                bigserial PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    original_language text NOT NULL,
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'embargoed', 'published', 'recalled')),
    regions           text[] NOT NULL DEFAULT '{}',
    countries         text[] NOT NULL DEFAULT '{}',
    topics            text[] NOT NULL DEFAULT '{}',
    embargo_until     timestamptz,
    embargo_missions  text NOT NULL DEFAULT 'none' CHECK (embargo_missions IN ('all', 'concerned', 'none')),
    embargo_verified  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    published_at      timestamptz
);

CREATE TABLE release_translations (
    release_id bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    language   text NOT NULL,
    title      text NOT NULL,
    summary    text NOT NULL DEFAULT '',
    body       text NOT NULL DEFAULT '',
    dateline   text NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, language)
);

-- Press contacts in the order the release lists them; the first is Reply-To.
CREATE TABLE release_press_contacts (
    release_id bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position   int NOT NULL,
    contact_id bigint NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (release_id, position),
    UNIQUE (release_id, contact_id)
);

-- One dispatch per (release, variant): the unit a dispatcher plans and sends.
CREATE TABLE dispatches (
    id         bigserial PRIMARY KEY,
    release_id bigint NOT NULL REFERENCES releases (id),
    variant    text NOT NULL CHECK (variant IN ('public', 'embargoed')),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'planned', 'done')),
    created_at timestamptz NOT NULL DEFAULT now(),
    planned_at timestamptz,
    UNIQUE (release_id, variant)
);

CREATE TABLE deliveries (
    id          bigserial PRIMARY KEY,
    dispatch_id bigint NOT NULL REFERENCES dispatches (id),
    contact_id  bigint NOT NULL REFERENCES contacts (id),
    email       text NOT NULL,
    language    text NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sent', 'deferred', 'failed', 'bounced', 'complained', 'suppressed')),
    attempts    int NOT NULL DEFAULT 0,
    smtp_code   int,
    smtp_reply  text NOT NULL DEFAULT '',
    queued_at   timestamptz NOT NULL DEFAULT now(),
    -- A dispatcher holds a delivery while sending it; an expired lease
    -- means that dispatcher died and another may take the delivery over.
    lease_until     timestamptz,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    sent_at     timestamptz,
    UNIQUE (dispatch_id, contact_id)
);
CREATE INDEX deliveries_dispatch_status_idx ON deliveries (dispatch_id, status);
CREATE INDEX deliveries_retry_idx ON deliveries (next_attempt_at) WHERE status = 'deferred';

-- Events committed with the state they describe; a relay publishes them.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    msg_id       text NOT NULL UNIQUE,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
