-- SCIM groups and their members (conventions as in the init migration).
--
-- A member is a user or another group of the same tenant, so `member_id` cannot carry a
-- foreign key: the application removes a deleted user's or group's membership rows in
-- the transaction that deletes it. One row per membership makes adding or removing one
-- member of a very large group a single-row statement.

CREATE TABLE groups (
    tenant_id          TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 TEXT    NOT NULL,
    display_name       TEXT    NOT NULL,
    display_name_norm  TEXT    NOT NULL,
    external_id        TEXT,
    created_us         INTEGER NOT NULL,
    last_modified_us   INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    created_by_token   TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- Entra matches groups on displayName: unique per tenant, ignoring case, with the same
-- folding the `displayName eq` filter uses.
CREATE UNIQUE INDEX groups_display_name_norm_key ON groups (tenant_id, display_name_norm);
CREATE INDEX groups_external_id_idx ON groups (tenant_id, external_id);
-- Default list order, stable across pages.
CREATE INDEX groups_created_idx ON groups (tenant_id, created_us, id);

CREATE TABLE group_members (
    tenant_id    TEXT NOT NULL,
    group_id     TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    member_type  TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (tenant_id, group_id, member_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- `User.groups`, `groups.value eq …` and the clean-up when a member is deleted.
CREATE INDEX group_members_member_idx ON group_members (tenant_id, member_id);
