UPDATE users SET active = FALSE WHERE active IS NULL;
ALTER TABLE users ALTER COLUMN active SET NOT NULL;
UPDATE user_values SET is_primary = FALSE WHERE is_primary IS NULL;
ALTER TABLE user_values ALTER COLUMN is_primary SET NOT NULL;
