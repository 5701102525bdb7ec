-- Retention now deletes one tenant at a time (storage/src/log.rs, storage/src/feed):
-- the provisioning log through `provisioning_log_at_idx (tenant_id, at_us, id)`, which
-- its listing already uses, and the change feed by key, a prefix of `(tenant_id, seq)`
-- per tenant. The two indexes on `at_us` alone served only the cross-tenant deletes;
-- every write paid for them, one more B-tree each, and they held about 160 bytes per
-- provisioned user.
DROP INDEX provisioning_log_retention_idx;
DROP INDEX changes_at_idx;
