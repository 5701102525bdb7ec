-- The users who are not active (deactivated, or never said to be), indexed by tenant:
-- a few of a tenant's users, so the index is small. The admin console's overview counts
-- a tenant's users from its smallest index and the inactive ones from this one, instead
-- of reading every user row to test `active`.
CREATE INDEX users_inactive_idx ON users (tenant_id) WHERE active IS NOT TRUE;
