-- A session that ended (signed out, renewed at sign-in, ended for a
-- disabled user or a changed password) stays in the table, emptied, until
-- no request that loaded it can still be running. The session manager
-- saves a session at the end of every request to push back its idle
-- timeout, so a request that began before the end and finished after it
-- would otherwise write the session back, signed in.
ALTER TABLE sessions ADD COLUMN ended boolean NOT NULL DEFAULT false;
