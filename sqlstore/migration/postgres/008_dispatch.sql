-- Capture dispatch: a new item, or an item that a new case links, waits
-- with dispatched = 0 until the dispatch job queues its capture. Intake
-- queues no job for it: the row itself is the durable record of the work.
ALTER TABLE items ADD COLUMN dispatched BIGINT NOT NULL DEFAULT 0;
UPDATE items SET dispatched = 1;
CREATE INDEX items_undispatched ON items (id) WHERE dispatched = 0;
