-- Which queue message holds a running batch. A delivery of a message ends
-- (retry, error, or the runtime's timeout) before the queue delivers it
-- again, so the holder's own redelivery takes a batch over at once: an
-- attempt that failed after its claim (a D1 write refused, say) costs the
-- retry's delay, not the rest of its lease (src/store/sync_batches.rs).
ALTER TABLE sync_batches ADD COLUMN lease_holder TEXT;
