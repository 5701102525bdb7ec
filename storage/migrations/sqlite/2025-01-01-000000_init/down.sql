DROP TABLE user_values;
DROP TABLE users;
DROP TABLE tokens;
DROP TABLE tenants;
