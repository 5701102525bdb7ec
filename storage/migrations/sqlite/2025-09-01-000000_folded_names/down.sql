DROP INDEX users_family_name_norm_idx;
DROP INDEX users_given_name_norm_idx;
DROP INDEX users_display_name_norm_idx;
ALTER TABLE users DROP COLUMN name_family_name_norm;
ALTER TABLE users DROP COLUMN name_given_name_norm;
ALTER TABLE users DROP COLUMN display_name_norm;
CREATE INDEX users_display_name_idx ON users (tenant_id, display_name);
