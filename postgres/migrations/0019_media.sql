-- Photos and documents attached to a release. The files themselves sit
-- behind media.Store: by default in media_blobs, so that every process
-- serving pages sees the same files; the rows here say what they are.
CREATE TABLE media (
    id           bigserial PRIMARY KEY,
    release_id   bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position     int NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('image', 'document')),
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size > 0),
    sha256       text NOT NULL,
    filename     text NOT NULL,
    width        int NOT NULL DEFAULT 0,
    height       int NOT NULL DEFAULT 0,
    -- {"en": {"caption": …, "credit": …, "alt": …}, "fr": …}
    texts        jsonb NOT NULL DEFAULT '{}',
    -- [{"name": "small", "content_type": …, "width": …, "height": …, "size": …, "sha256": …}]
    renditions   jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_release_idx ON media (release_id, position);

-- The PostgreSQL store's files, by key ("media/ID/RENDITION"). Photos and
-- PDFs are compressed already: stored uncompressed and out of line, a
-- slice of a file is read without reading the rest.
CREATE TABLE media_blobs (
    key        text PRIMARY KEY,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE media_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- A deleted draft takes its media rows with it (ON DELETE CASCADE);
-- their files in media_blobs go too, by the same key rule.
CREATE FUNCTION media_blobs_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM media_blobs WHERE key LIKE 'media/' || OLD.id || '/%';
    RETURN OLD;
END $$;
CREATE TRIGGER media_blobs_cascade AFTER DELETE ON media
    FOR EACH ROW EXECUTE FUNCTION media_blobs_cascade();
