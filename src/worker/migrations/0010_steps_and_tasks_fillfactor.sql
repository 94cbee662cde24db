-- Migration 10: room for HOT updates. A step row is updated three or four times in its life
-- (released, claimed, recorded) and a task row once per step; with full pages each update writes
-- a new version elsewhere and a new entry in every index. Leaving 30% of each page free lets
-- PostgreSQL update in place (heap-only tuples, no index writes) and keeps a task's rows together.
-- Applies to pages written from now on.

ALTER TABLE tasker.steps SET (fillfactor = 70);

ALTER TABLE tasker.tasks SET (fillfactor = 70);
