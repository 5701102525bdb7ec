-- Tenants, their tokens, users and the users' multi-valued attributes.
--
-- Conventions (shared with the PostgreSQL migrations):
-- * every row of tenant data carries `tenant_id`, and every index starts with it;
-- * instants are INTEGER microseconds since the Unix epoch;
-- * booleans are INTEGER 0/1 (STRICT tables have no BOOLEAN type);
-- * text compares byte-wise (BINARY), which is code-point order for UTF-8;
-- * `*_norm` columns hold the lowercased value computed by the application, so that a
--   plain index serves case-insensitive equality.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    public_url  TEXT,
    operator    INTEGER NOT NULL,
    created_us  INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope         TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    label         TEXT    NOT NULL,
    created_us    INTEGER NOT NULL,
    expires_us    INTEGER,
    last_used_us  INTEGER,
    revoked_us    INTEGER
) STRICT;

CREATE INDEX tokens_tenant_id_idx ON tokens (tenant_id);

CREATE TABLE users (
    tenant_id              TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                     TEXT    NOT NULL,
    user_name              TEXT    NOT NULL,
    user_name_norm         TEXT    NOT NULL,
    external_id            TEXT,
    display_name           TEXT,
    nick_name              TEXT,
    profile_url            TEXT,
    title                  TEXT,
    user_type              TEXT,
    preferred_language     TEXT,
    locale                 TEXT,
    timezone               TEXT,
    active                 INTEGER NOT NULL,
    password_hash          TEXT,
    name_formatted         TEXT,
    name_family_name       TEXT,
    name_given_name        TEXT,
    name_middle_name       TEXT,
    name_honorific_prefix  TEXT,
    name_honorific_suffix  TEXT,
    employee_number        TEXT,
    cost_center            TEXT,
    organization           TEXT,
    division               TEXT,
    department             TEXT,
    manager_value          TEXT,
    manager_ref            TEXT,
    manager_display_name   TEXT,
    created_us             INTEGER NOT NULL,
    last_modified_us       INTEGER NOT NULL,
    version                INTEGER NOT NULL,
    created_by_token       TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- Case-insensitive userName uniqueness per tenant (RFC 7643 §4.1.1).
CREATE UNIQUE INDEX users_user_name_norm_key ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
-- Default list order, stable across pages.
CREATE INDEX users_created_idx ON users (tenant_id, created_us, id);
CREATE INDEX users_display_name_idx ON users (tenant_id, display_name);

-- One row per value of a multi-valued attribute (emails, phoneNumbers, addresses, ...).
-- `ord` is the value's position in the user's list of values.
CREATE TABLE user_values (
    tenant_id       TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    attr            TEXT    NOT NULL,
    ord             INTEGER NOT NULL,
    value           TEXT,
    value_norm      TEXT,
    display         TEXT,
    type            TEXT,
    is_primary      INTEGER NOT NULL,
    ref             TEXT,
    formatted       TEXT,
    street_address  TEXT,
    locality        TEXT,
    region          TEXT,
    postal_code     TEXT,
    country         TEXT,
    PRIMARY KEY (tenant_id, user_id, attr, ord),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX user_values_value_idx ON user_values (tenant_id, attr, value_norm);
