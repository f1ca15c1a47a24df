-- Single-line contact fields no longer hold line breaks or tabs: the API,
-- the CSV import and the public pages make each run of them one space.
-- Contacts stored before get the same, so that an export of them imports
-- as it is and a name never breaks a mail header.
UPDATE contacts SET
    name           = btrim(regexp_replace(name,           '[\r\n\t\v\f\u0085\u2028\u2029]+', ' ', 'g')),
    organisation   = btrim(regexp_replace(organisation,   '[\r\n\t\v\f\u0085\u2028\u2029]+', ' ', 'g')),
    title          = btrim(regexp_replace(title,          '[\r\n\t\v\f\u0085\u2028\u2029]+', ' ', 'g')),
    phone          = btrim(regexp_replace(phone,          '[\r\n\t\v\f\u0085\u2028\u2029]+', ' ', 'g')),
    consent_source = btrim(regexp_replace(consent_source, '[\r\n\t\v\f\u0085\u2028\u2029]+', ' ', 'g')),
    updated_at     = now()
WHERE concat(name, organisation, title, phone, consent_source) ~ '[\r\n\t\v\f\u0085\u2028\u2029]';
