-- The organisation's branding: its name, logo, postal address and footer,
-- shown by every message and public page. One row at most (id is always
-- 1); no row means no branding, and messages render as they did before
-- there was any. version grows with every change, so a process that
-- keeps rendered messages or pages can tell cheaply that they are stale.
CREATE TABLE branding (
    id           int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name         text NOT NULL DEFAULT '',
    address      text NOT NULL DEFAULT '',
    footer       text NOT NULL DEFAULT '',
    -- footers holds the footer per language ({"fr": "…"}), each replacing
    -- the default footer for readers of that language.
    footers      jsonb NOT NULL DEFAULT '{}',
    logo         bytea,
    logo_type    text NOT NULL DEFAULT ''
                 CHECK (logo_type IN ('', 'image/png', 'image/jpeg')),
    logo_hash    text NOT NULL DEFAULT '',
    logo_width   int NOT NULL DEFAULT 0,
    logo_height  int NOT NULL DEFAULT 0,
    CHECK ((logo IS NULL) = (logo_type = '')),
    version      bigint NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT ''
);
