-- Case-folded, indexed copies of displayName and the given and family names, as
-- `user_name_norm` is of userName, so that `eq` and `sw` on them (the admin console's
-- search by name) are ranges of an index instead of a pass over every user of the tenant.
-- The application fills them on every write with Rust's `to_lowercase`; the rows that
-- exist are filled here by `idsync_lower`, the same full Unicode lowercase mapping. `users_display_name_idx` indexed the name as sent, which no case-insensitive
-- comparison could use: the folded index takes its place.
ALTER TABLE users ADD COLUMN display_name_norm TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN name_given_name_norm TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN name_family_name_norm TEXT COLLATE "C";
UPDATE users
SET display_name_norm = idsync_lower(display_name),
    name_given_name_norm = idsync_lower(name_given_name),
    name_family_name_norm = idsync_lower(name_family_name)
WHERE display_name IS NOT NULL OR name_given_name IS NOT NULL OR name_family_name IS NOT NULL;
DROP INDEX users_display_name_idx;
CREATE INDEX users_display_name_norm_idx ON users (tenant_id, display_name_norm);
CREATE INDEX users_given_name_norm_idx ON users (tenant_id, name_given_name_norm);
CREATE INDEX users_family_name_norm_idx ON users (tenant_id, name_family_name_norm);
