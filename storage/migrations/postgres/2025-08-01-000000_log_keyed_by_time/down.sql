CREATE INDEX provisioning_log_at_idx ON provisioning_log (tenant_id, at_us, id);
ALTER TABLE provisioning_log DROP CONSTRAINT provisioning_log_pkey;
ALTER TABLE provisioning_log ADD PRIMARY KEY (tenant_id, id);
