-- Scoping and matching rules per tenant, and what they leave on the resources they
-- judged (conventions as in the init migration).
--
-- `out_of_scope` remembers that a scoping rule, not a client, disabled the resource:
-- a later write that brings it back into scope re-activates it. `adopted_by_token` is
-- the provisioning connection that took over a user it did not create (matching rule
-- `adopt`); a user is linked to `adopted_by_token` when set, else `created_by_token`.

ALTER TABLE users ADD COLUMN out_of_scope BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN adopted_by_token TEXT COLLATE "C";
ALTER TABLE groups ADD COLUMN out_of_scope BOOLEAN NOT NULL DEFAULT FALSE;

-- One scoping rule per tenant and resource type: a SCIM filter the resource must
-- satisfy, and what happens to a create or an update that does not.
CREATE TABLE tenant_rules (
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource_type  TEXT COLLATE "C" NOT NULL CHECK (resource_type IN ('User', 'Group')),
    filter         TEXT COLLATE "C" NOT NULL,
    create_policy  TEXT COLLATE "C" NOT NULL CHECK (create_policy IN ('reject', 'accept-disabled')),
    update_policy  TEXT COLLATE "C" NOT NULL CHECK (update_policy IN ('deactivate', 'delete', 'reject')),
    PRIMARY KEY (tenant_id, resource_type)
);

-- The matching rule of a tenant: attributes (comma-separated, in order) that link a
-- created user to an existing account, and what to do on a match.
CREATE TABLE tenant_matching_rules (
    tenant_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    attributes  TEXT COLLATE "C" NOT NULL,
    policy      TEXT COLLATE "C" NOT NULL CHECK (policy IN ('adopt', 'conflict'))
);
