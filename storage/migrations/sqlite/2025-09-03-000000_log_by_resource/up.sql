-- A resource's entries, newest first: the admin console's user page shows its history,
-- and the log page filters by resource. Without this index that read walks the
-- tenant's whole log from its newest entry until it has found enough of the
-- resource's, which grows with the log. Entries about no resource (a create refused
-- before it had an id) are left out.
CREATE INDEX provisioning_log_resource_idx ON provisioning_log (tenant_id, resource_id, at_us, id)
    WHERE resource_id IS NOT NULL;
