-- The foreign key from subscriptions to contacts checked each new
-- subscription on its own: importing 100,000 contacts with 400,000
-- subscriptions spent 4.4 s of its 10.9 s in the key's trigger. Every
-- subscription is written with the id of a contact its own transaction
-- has just written or locked, and contacts.Delete, the only way a contact
-- goes, now deletes its subscriptions itself. Updates and imports hold
-- the lock of migration 0022 shared, as audiences do, and the deletion
-- holds it alone, so that no subscription is written for a contact being
-- deleted; a contact being created is seen by no deletion until then.
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_contact_id_fkey;
