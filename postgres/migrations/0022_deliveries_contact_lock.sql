-- The foreign key from deliveries to contacts checked each new delivery
-- on its own, taking a row lock on its contact: recording an audience of
-- 1,000,000 rewrote 1,000,000 contact rows as well (17.1 s and 652 MB of
-- WAL for the INSERT, against 9.8 s and 456 MB without the key). Every
-- delivery drawn from contacts is drawn by a join that sees them, and
-- contacts.Delete, the only way a contact goes, refuses one with
-- deliveries; an advisory lock, taken once per transaction that draws
-- deliveries from contacts and exclusively by the delete, keeps the two
-- from crossing.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_contact_id_fkey;
