-- The change feed and the provisioning log (conventions as in the init migration).
--
-- `tenants.feed_seq` is the last sequence number handed out in the tenant's feed. A
-- writer bumps it in the transaction that makes the change, so the number is taken
-- under the tenant row's lock: seq order is commit order, with no gaps.

ALTER TABLE tenants ADD COLUMN feed_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE changes (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    at_us          INTEGER NOT NULL,
    resource_type  TEXT    NOT NULL,
    resource_id    TEXT    NOT NULL,
    event          TEXT    NOT NULL,
    -- Changed attribute names, comma-separated (names never contain commas).
    attributes     TEXT    NOT NULL,
    member_id      TEXT,
    member_type    TEXT,
    token_id       TEXT,
    request_id     TEXT,
    PRIMARY KEY (tenant_id, seq)
) STRICT, WITHOUT ROWID;

-- Retention deletes by age across tenants.
CREATE INDEX changes_at_idx ON changes (at_us);

CREATE TABLE provisioning_log (
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

-- Newest first per tenant, and retention by age.
CREATE INDEX provisioning_log_at_idx ON provisioning_log (tenant_id, at_us, id);
CREATE INDEX provisioning_log_retention_idx ON provisioning_log (at_us);
