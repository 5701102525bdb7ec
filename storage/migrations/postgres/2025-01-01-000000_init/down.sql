DROP TABLE user_values;
DROP TABLE users;
DROP TABLE tokens;
DROP TABLE tenants;
DROP FUNCTION idsync_lower(text);
