CREATE TABLE provisioning_log_by_id (
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
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO provisioning_log_by_id
    (tenant_id, id, at_us, token_id, operation, resource_type, resource_id, outcome,
     grpc_code, http_status, scim_type, detail, attributes, request_id, trace_id)
SELECT tenant_id, id, at_us, token_id, operation, resource_type, resource_id, outcome,
       grpc_code, http_status, scim_type, detail, attributes, request_id, trace_id
FROM provisioning_log;
DROP TABLE provisioning_log;
ALTER TABLE provisioning_log_by_id RENAME TO provisioning_log;
CREATE INDEX provisioning_log_at_idx ON provisioning_log (tenant_id, at_us, id);
