CREATE INDEX changes_at_idx ON changes (at_us);
CREATE INDEX provisioning_log_retention_idx ON provisioning_log (at_us);
