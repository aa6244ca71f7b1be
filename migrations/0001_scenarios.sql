-- The shared scenario store (medatlas serve --scenarios-db). A scenario's id is the xxh3 hash
-- of its canonical JSON, kept verbatim in `body` (text, not jsonb: jsonb would reorder keys and
-- the body would no longer hash to its id). Rows are never updated: a scenario never changes
-- under its id.
CREATE TABLE scenarios (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
