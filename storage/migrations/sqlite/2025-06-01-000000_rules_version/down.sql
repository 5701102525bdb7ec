ALTER TABLE tenants DROP COLUMN rules_version;
