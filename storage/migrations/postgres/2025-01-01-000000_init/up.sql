-- Tenants, their tokens, users and the users' multi-valued attributes.
--
-- Conventions (shared with the SQLite migrations):
-- * every row of tenant data carries `tenant_id`, and every index starts with it;
-- * instants are BIGINT microseconds since the Unix epoch;
-- * text columns use COLLATE "C": byte order, which is code-point order for UTF-8 and
--   what SQLite's BINARY collation does, so comparisons and sorting agree on both
--   backends (and indexes serve LIKE 'prefix%');
-- * `*_norm` columns hold the lowercased value computed by the application, so that a
--   plain index serves case-insensitive equality.

-- idsync_lower(text): the case folding used by case-insensitive filters and sorting.
-- On SQLite the application registers the same name as Rust's `str::to_lowercase`.
-- lower() folds by the rules of its collation, so pick a Unicode-aware one: ICU's root
-- locale matches Rust (final sigma, dotted I); a UTF-8 libc locale is the fallback.
DO $$
DECLARE
    preferred text[] := ARRAY['und-x-icu', 'C.utf8', 'C.UTF-8', 'en_US.utf8', 'en_US.UTF-8'];
    chosen text;
BEGIN
    SELECT c.collname INTO chosen
      FROM pg_collation c
     WHERE c.collname = ANY (preferred)
       AND c.collencoding IN (-1, (SELECT encoding FROM pg_database WHERE datname = current_database()))
     ORDER BY array_position(preferred, c.collname::text)
     LIMIT 1;
    IF chosen IS NULL THEN
        chosen := 'default';
    END IF;
    EXECUTE format(
        'CREATE FUNCTION idsync_lower(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS %L',
        format('SELECT lower($1 COLLATE %I)', chosen));
END
$$;

CREATE TABLE tenants (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    public_url  TEXT COLLATE "C",
    operator    BOOLEAN NOT NULL,
    created_us  BIGINT  NOT NULL
);

CREATE TABLE tokens (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope         TEXT COLLATE "C" NOT NULL,
    secret_hash   TEXT COLLATE "C" NOT NULL UNIQUE,
    label         TEXT COLLATE "C" NOT NULL,
    created_us    BIGINT NOT NULL,
    expires_us    BIGINT,
    last_used_us  BIGINT,
    revoked_us    BIGINT
);

CREATE INDEX tokens_tenant_id_idx ON tokens (tenant_id);

CREATE TABLE users (
    tenant_id              TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                     TEXT COLLATE "C" NOT NULL,
    user_name              TEXT COLLATE "C" NOT NULL,
    user_name_norm         TEXT COLLATE "C" NOT NULL,
    external_id            TEXT COLLATE "C",
    display_name           TEXT COLLATE "C",
    nick_name              TEXT COLLATE "C",
    profile_url            TEXT COLLATE "C",
    title                  TEXT COLLATE "C",
    user_type              TEXT COLLATE "C",
    preferred_language     TEXT COLLATE "C",
    locale                 TEXT COLLATE "C",
    timezone               TEXT COLLATE "C",
    active                 BOOLEAN NOT NULL,
    password_hash          TEXT COLLATE "C",
    name_formatted         TEXT COLLATE "C",
    name_family_name       TEXT COLLATE "C",
    name_given_name        TEXT COLLATE "C",
    name_middle_name       TEXT COLLATE "C",
    name_honorific_prefix  TEXT COLLATE "C",
    name_honorific_suffix  TEXT COLLATE "C",
    employee_number        TEXT COLLATE "C",
    cost_center            TEXT COLLATE "C",
    organization           TEXT COLLATE "C",
    division               TEXT COLLATE "C",
    department             TEXT COLLATE "C",
    manager_value          TEXT COLLATE "C",
    manager_ref            TEXT COLLATE "C",
    manager_display_name   TEXT COLLATE "C",
    created_us             BIGINT NOT NULL,
    last_modified_us       BIGINT NOT NULL,
    version                BIGINT NOT NULL,
    created_by_token       TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, id)
);

-- Case-insensitive userName uniqueness per tenant (RFC 7643 §4.1.1).
CREATE UNIQUE INDEX users_user_name_norm_key ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
-- Default list order, stable across pages.
CREATE INDEX users_created_idx ON users (tenant_id, created_us, id);
CREATE INDEX users_display_name_idx ON users (tenant_id, display_name);

-- One row per value of a multi-valued attribute (emails, phoneNumbers, addresses, ...).
-- `ord` is the value's position in the user's list of values.
CREATE TABLE user_values (
    tenant_id       TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    attr            TEXT COLLATE "C" NOT NULL,
    ord             INTEGER NOT NULL,
    value           TEXT COLLATE "C",
    value_norm      TEXT COLLATE "C",
    display         TEXT COLLATE "C",
    type            TEXT COLLATE "C",
    is_primary      BOOLEAN NOT NULL,
    ref             TEXT COLLATE "C",
    formatted       TEXT COLLATE "C",
    street_address  TEXT COLLATE "C",
    locality        TEXT COLLATE "C",
    region          TEXT COLLATE "C",
    postal_code     TEXT COLLATE "C",
    country         TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, user_id, attr, ord),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX user_values_value_idx ON user_values (tenant_id, attr, value_norm);
