DROP TABLE provisioning_log;
DROP TABLE changes;
ALTER TABLE tenants DROP COLUMN feed_seq;
