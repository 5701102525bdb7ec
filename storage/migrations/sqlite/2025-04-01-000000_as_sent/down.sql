-- Back to NOT NULL flags: an absent `active` or `primary` becomes false (0).

CREATE TABLE users_prev (
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
    out_of_scope           INTEGER NOT NULL DEFAULT 0,
    adopted_by_token       TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_values_prev (
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
    FOREIGN KEY (tenant_id, user_id) REFERENCES users_prev (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO users_prev (
    tenant_id, id, user_name, user_name_norm, external_id, display_name, nick_name,
    profile_url, title, user_type, preferred_language, locale, timezone, active,
    password_hash, name_formatted, name_family_name, name_given_name,
    name_middle_name, name_honorific_prefix, name_honorific_suffix, employee_number,
    cost_center, organization, division, department, manager_value, manager_ref,
    manager_display_name, created_us, last_modified_us, version, created_by_token,
    out_of_scope, adopted_by_token
)
SELECT
    tenant_id, id, user_name, user_name_norm, external_id, display_name, nick_name,
    profile_url, title, user_type, preferred_language, locale, timezone, COALESCE(active, 0),
    password_hash, name_formatted, name_family_name, name_given_name,
    name_middle_name, name_honorific_prefix, name_honorific_suffix, employee_number,
    cost_center, organization, division, department, manager_value, manager_ref,
    manager_display_name, created_us, last_modified_us, version, created_by_token,
    out_of_scope, adopted_by_token
FROM users;

INSERT INTO user_values_prev (
    tenant_id, user_id, attr, ord, value, value_norm, display, type, is_primary,
    ref, formatted, street_address, locality, region, postal_code, country
)
SELECT tenant_id, user_id, attr, ord, value, value_norm, display, type, COALESCE(is_primary, 0),
       ref, formatted, street_address, locality, region, postal_code, country
FROM user_values;

-- Children first; then the parent, which nothing references any more (user_values_prev
-- references users_prev, and the rename below carries that reference along).
DROP TABLE user_values;
DROP TABLE users;
ALTER TABLE users_prev RENAME TO users;
ALTER TABLE user_values_prev RENAME TO user_values;

CREATE UNIQUE INDEX users_user_name_norm_key ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
CREATE INDEX users_created_idx ON users (tenant_id, created_us, id);
CREATE INDEX users_display_name_idx ON users (tenant_id, display_name);
CREATE INDEX user_values_value_idx ON user_values (tenant_id, attr, value_norm);
