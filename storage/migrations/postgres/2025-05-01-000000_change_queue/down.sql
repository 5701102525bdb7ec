-- Seal what is still queued, numbered as a sealer would, then drop the queue.
INSERT INTO changes (tenant_id, seq, at_us, resource_type, resource_id, event, attributes,
                     member_id, member_type, token_id, request_id)
SELECT q.tenant_id,
       t.feed_seq + row_number() OVER (PARTITION BY q.tenant_id ORDER BY q.txn_key, q.id),
       q.at_us, q.resource_type, q.resource_id, q.event, q.attributes,
       q.member_id, q.member_type, q.token_id, q.request_id
  FROM (SELECT c.*, min(c.id) OVER (PARTITION BY c.xact) AS txn_key FROM change_queue c) q
  JOIN tenants t ON t.id = q.tenant_id;
UPDATE tenants t SET feed_seq = t.feed_seq + q.n
  FROM (SELECT tenant_id, count(*) AS n FROM change_queue GROUP BY tenant_id) q
 WHERE t.id = q.tenant_id;
COMMENT ON COLUMN tenants.feed_seq IS NULL;
DROP TABLE change_queue;
