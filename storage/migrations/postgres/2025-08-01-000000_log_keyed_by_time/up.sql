-- The provisioning log is read newest first and pruned oldest first, per tenant, always
-- through (tenant_id, at_us, id), and never by its id alone. Making that its primary
-- key makes `provisioning_log_at_idx` redundant: one index fewer on every write.
-- `attributes` now holds the packed form of storage/src/feed/names.rs (rows written
-- before it still read).
ALTER TABLE provisioning_log DROP CONSTRAINT provisioning_log_pkey;
ALTER TABLE provisioning_log ADD PRIMARY KEY (tenant_id, at_us, id);
DROP INDEX provisioning_log_at_idx;
