-- Scoping and matching rules per tenant, and what they leave on the resources they
-- judged (conventions as in the init migration).
--
-- `out_of_scope` remembers that a scoping rule, not a client, disabled the resource:
-- a later write that brings it back into scope re-activates it. `adopted_by_token` is
-- the provisioning connection that took over a user it did not create (matching rule
-- `adopt`); a user is linked to `adopted_by_token` when set, else `created_by_token`.

ALTER TABLE users ADD COLUMN out_of_scope INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN adopted_by_token TEXT;
ALTER TABLE groups ADD COLUMN out_of_scope INTEGER NOT NULL DEFAULT 0;

-- One scoping rule per tenant and resource type: a SCIM filter the resource must
-- satisfy, and what happens to a create or an update that does not.
CREATE TABLE tenant_rules (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource_type  TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
    filter         TEXT NOT NULL,
    create_policy  TEXT NOT NULL CHECK (create_policy IN ('reject', 'accept-disabled')),
    update_policy  TEXT NOT NULL CHECK (update_policy IN ('deactivate', 'delete', 'reject')),
    PRIMARY KEY (tenant_id, resource_type)
) STRICT, WITHOUT ROWID;

-- The matching rule of a tenant: attributes (comma-separated, in order) that link a
-- created user to an existing account, and what to do on a match.
CREATE TABLE tenant_matching_rules (
    tenant_id   TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    attributes  TEXT NOT NULL,
    policy      TEXT NOT NULL CHECK (policy IN ('adopt', 'conflict'))
) STRICT, WITHOUT ROWID;
