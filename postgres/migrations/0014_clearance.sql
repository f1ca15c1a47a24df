-- Clearance: a press officer submits a draft, an editor other than its
-- author clears it or returns it with a comment; with clearance
-- required, only a cleared draft is published. An edit un-clears.
ALTER TABLE releases ADD COLUMN created_by text NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN clearance text NOT NULL DEFAULT 'none'
    CHECK (clearance IN ('none', 'submitted', 'cleared', 'returned'));
ALTER TABLE releases ADD COLUMN clearance_by text NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN clearance_at timestamptz;
ALTER TABLE releases ADD COLUMN clearance_comment text NOT NULL DEFAULT '';

-- Most releases open without a greeting, as most press offices' do.
ALTER TABLE releases ADD COLUMN greeting boolean NOT NULL DEFAULT false;
