DROP TABLE tenant_matching_rules;
DROP TABLE tenant_rules;
ALTER TABLE groups DROP COLUMN out_of_scope;
ALTER TABLE users DROP COLUMN adopted_by_token;
ALTER TABLE users DROP COLUMN out_of_scope;
