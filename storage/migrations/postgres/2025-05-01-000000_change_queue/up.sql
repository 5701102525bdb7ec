-- The change feed's queue (PostgreSQL only; conventions as in the init migration).
--
-- Until now a writer numbered its events itself by bumping `tenants.feed_seq`, which
-- held the tenant row's lock until commit: the writes of one tenant ran one at a time,
-- each waiting for the previous one's commit and fsync. Now a writer only appends its
-- events here, taking no lock that another writer of the tenant waits for:
--
-- * `id` comes from a sequence when the row is inserted. Appending is the last thing a
--   write transaction does to shared rows, so if transaction B waited for A's commit
--   (a row lock, a unique-index check) or read what A committed, every id of B is
--   larger than every id of A.
-- * `xact` is the writing transaction (`pg_current_xact_id()`), which groups its rows.
--
-- A sealer (a watcher about to read, or the core's background task) then moves every
-- committed row of a tenant into `changes` in one transaction, under a per-tenant
-- advisory lock that only sealers take. It numbers them `feed_seq + 1, + 2, …` ordered
-- by (the transaction's smallest id, id): seq numbers stay gapless, a watcher still
-- reads a prefix 1..head, and transactions that depended on each other keep their
-- commit order. Rows of a transaction that rolls back never become visible and never
-- get a number. See storage/src/feed/mod.rs for the argument in full.
--
-- Sealed rows leave dead tuples; the sealer vacuums this table itself, so it stays
-- small whether or not autovacuum runs.

CREATE TABLE change_queue (
    id             BIGSERIAL PRIMARY KEY,
    xact           XID8 NOT NULL DEFAULT pg_current_xact_id(),
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    at_us          BIGINT NOT NULL,
    resource_type  TEXT COLLATE "C" NOT NULL,
    resource_id    TEXT COLLATE "C" NOT NULL,
    event          TEXT COLLATE "C" NOT NULL,
    attributes     TEXT COLLATE "C" NOT NULL,
    member_id      TEXT COLLATE "C",
    member_type    TEXT COLLATE "C",
    token_id       TEXT COLLATE "C",
    request_id     TEXT COLLATE "C"
);

-- The sealer takes one tenant's rows.
CREATE INDEX change_queue_tenant_idx ON change_queue (tenant_id, id);

-- `tenants.feed_seq` keeps its meaning for readers (the last seq handed out), but only
-- sealers write it now.
COMMENT ON COLUMN tenants.feed_seq IS 'The last seq sealed into changes; written only by sealers (see change_queue).';
