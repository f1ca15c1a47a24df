-- Administrators' templates, replacing a built-in message in one language.
-- Each is checked (parsed and rendered against a sample release) before it
-- is stored; the dispatcher reads them all when it renders a release.
CREATE TABLE template_overrides (
    message    text NOT NULL
               CHECK (message IN ('public', 'embargoed', 'correction', 'recall', 'embargo_changed', 'confirmation')),
    language   text NOT NULL CHECK (language <> ''),
    subject    text NOT NULL,
    text_part  text NOT NULL,
    html_part  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message, language)
);
