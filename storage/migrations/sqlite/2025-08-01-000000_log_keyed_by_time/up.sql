-- The provisioning log is read newest first and pruned oldest first, per tenant, always
-- through (tenant_id, at_us, id), and never by its id alone. Keying the table by that
-- order makes `provisioning_log_at_idx` redundant: one B-tree fewer on every write and
-- about 100 bytes fewer per provisioned user. `attributes` now holds the packed form of
-- storage/src/feed/names.rs (rows written before it still read).
-- SQLite cannot change the key of a WITHOUT ROWID table in place: copy it.
CREATE TABLE provisioning_log_by_time (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,
    at_us          INTEGER NOT NULL,
    token_id       TEXT,
    operation      TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    resource_id    TEXT,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('success', 'failure')),
    grpc_code      TEXT,
    http_status    INTEGER,
    scim_type      TEXT,
    detail         TEXT,
    attributes     TEXT    NOT NULL,
    request_id     TEXT,
    trace_id       TEXT,
    PRIMARY KEY (tenant_id, at_us, id)
) STRICT, WITHOUT ROWID;
INSERT INTO provisioning_log_by_time
    (tenant_id, id, at_us, token_id, operation, resource_type, resource_id, outcome,
     grpc_code, http_status, scim_type, detail, attributes, request_id, trace_id)
SELECT tenant_id, id, at_us, token_id, operation, resource_type, resource_id, outcome,
       grpc_code, http_status, scim_type, detail, attributes, request_id, trace_id
FROM provisioning_log;
DROP TABLE provisioning_log;
ALTER TABLE provisioning_log_by_time RENAME TO provisioning_log;
