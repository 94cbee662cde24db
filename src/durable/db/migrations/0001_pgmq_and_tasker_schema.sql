-- Migration 1: the PGMQ extension, the `tasker` schema and the table that records the applied
-- migrations (`tasker.schema_migrations`). Every later migration, the task engine's included, builds
-- on it.

CREATE EXTENSION IF NOT EXISTS pgmq;

CREATE SCHEMA IF NOT EXISTS tasker;

CREATE TABLE IF NOT EXISTS tasker.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
