-- A correction is sent only to the readers of the languages it corrects
-- (NULL: every language, as for a recall or an embargo change), with the
-- press officer's note per language; a recall may say why.
ALTER TABLE dispatches ADD COLUMN languages text[];
ALTER TABLE dispatches ADD COLUMN notes jsonb NOT NULL DEFAULT '{}';
ALTER TABLE dispatches ADD COLUMN reason text NOT NULL DEFAULT '';

-- The audit log outlives the drafts it mentions: deleting a draft keeps
-- the entries that say who wrote and deleted it.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_release_id_fkey;

-- Releases are listed newest first, often by status.
CREATE INDEX releases_status_id_idx ON releases (status, id);
