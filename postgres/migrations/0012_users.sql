-- People and their powers: users with a role, API tokens owned by a user,
-- browser sessions, one-time sign-in and reset links, and sign-in
-- attempts for throttling. Secrets are stored only as hashes.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL DEFAULT '',
    ui_language   text NOT NULL DEFAULT 'en',
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'press_officer', 'viewer')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash text,
    -- Bumped when the password changes or the user is disabled: a
    -- session remembers the epoch it began in and ends when it moves.
    session_epoch int NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'editor', 'press_officer', 'viewer')),
    prefix       text NOT NULL,
    hash         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (hash);
-- A name is how scripts and the audit log know a token: one live token
-- per name.
CREATE UNIQUE INDEX api_tokens_name_key ON api_tokens (lower(name)) WHERE revoked_at IS NULL;

-- The browser sessions (the layout the session manager's PostgreSQL
-- store expects).
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE user_links (
    hash       bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('signin', 'reset')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX user_links_user_idx ON user_links (user_id);

CREATE TABLE signin_failures (
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_failures_key_idx ON signin_failures (key, at);

ALTER TABLE audit_log ADD COLUMN client text NOT NULL DEFAULT '';
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
