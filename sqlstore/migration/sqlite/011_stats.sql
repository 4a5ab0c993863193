-- Statistics (the dashboard and the providers' scorecards) read time
-- windows: removals confirmed, notices sent and reports received in a
-- period. These indexes keep those reads to the rows of the window.
CREATE INDEX item_events_gone ON item_events (created_at) WHERE event = 'gone';
CREATE INDEX notices_sent ON notices (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX cases_created ON cases (created_at);
