-- Values are kept as the client left them:
--
-- * `primary` of a multi-valued value: true, false or absent (NULL). Earlier rows
--   stored absent and false alike as false and were returned without `primary`; they
--   become NULL, which keeps what clients saw.
-- * `active`: absent (NULL) once a client removes it (RFC 7644 §3.5.2.2: the attribute
--   is then unassigned). An account without `active` is not known to be active and is
--   treated as inactive; creates without `active` still store true.
ALTER TABLE user_values ALTER COLUMN is_primary DROP NOT NULL;
UPDATE user_values SET is_primary = NULL WHERE NOT is_primary;
ALTER TABLE users ALTER COLUMN active DROP NOT NULL;
