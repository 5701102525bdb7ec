-- The change feed and the provisioning log (conventions as in the init migration).
--
-- `tenants.feed_seq` is the last sequence number handed out in the tenant's feed. A
-- writer bumps it in the transaction that makes the change, so the number is taken
-- under the tenant row's lock: seq order is commit order, with no gaps.

ALTER TABLE tenants ADD COLUMN feed_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE changes (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,
    at_us          BIGINT NOT NULL,
    resource_type  TEXT COLLATE "C" NOT NULL,
    resource_id    TEXT COLLATE "C" NOT NULL,
    event          TEXT COLLATE "C" NOT NULL,
    -- Changed attribute names, comma-separated (names never contain commas).
    attributes     TEXT COLLATE "C" NOT NULL,
    member_id      TEXT COLLATE "C",
    member_type    TEXT COLLATE "C",
    token_id       TEXT COLLATE "C",
    request_id     TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, seq)
);

-- Retention deletes by age across tenants.
CREATE INDEX changes_at_idx ON changes (at_us);

CREATE TABLE provisioning_log (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             TEXT COLLATE "C" NOT NULL,
    at_us          BIGINT NOT NULL,
    token_id       TEXT COLLATE "C",
    operation      TEXT COLLATE "C" NOT NULL,
    resource_type  TEXT COLLATE "C" NOT NULL,
    resource_id    TEXT COLLATE "C",
    outcome        TEXT COLLATE "C" NOT NULL CHECK (outcome IN ('success', 'failure')),
    grpc_code      TEXT COLLATE "C",
    http_status    INTEGER,
    scim_type      TEXT COLLATE "C",
    detail         TEXT COLLATE "C",
    attributes     TEXT COLLATE "C" NOT NULL,
    request_id     TEXT COLLATE "C",
    trace_id       TEXT COLLATE "C",
    PRIMARY KEY (tenant_id, id)
);

-- Newest first per tenant, and retention by age.
CREATE INDEX provisioning_log_at_idx ON provisioning_log (tenant_id, at_us, id);
CREATE INDEX provisioning_log_retention_idx ON provisioning_log (at_us);
