-- The failed write attempts of a tenant, by time, with their scimType: the overview
-- counts a day of them per scimType. Failures are few among a day's entries, so the
-- index is small, and the count no longer reads every entry the tenant logged that day.
CREATE INDEX provisioning_log_failures_idx ON provisioning_log (tenant_id, at_us, scim_type)
    WHERE outcome = 'failure';
