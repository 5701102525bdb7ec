-- `tenants.rules_version` stamps the tenant's scoping and matching rules: every
-- statement that sets or clears a rule bumps it in the same transaction. A core keeps
-- the rules it compiled with the stamp it read, and a write reads only the stamp (one
-- primary-key lookup) to know whether its copy still holds, on this replica or any
-- other on the same database.
ALTER TABLE tenants ADD COLUMN rules_version BIGINT NOT NULL DEFAULT 0;
