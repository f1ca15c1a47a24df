-- When a dispatch last sent anything: one that has queued deliveries and
-- has not sent for a while lost its batches with a process, and the sweep
-- queues them again; one that is merely slow is left alone.
ALTER TABLE dispatches ADD COLUMN last_progress_at timestamptz;
