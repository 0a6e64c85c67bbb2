-- Failed identification attempts across all accounts, per IP address and per app,
-- in fixed windows (server.policy.throttles): the defence against horizontal guessing.
-- Counted by one atomic upsert, so every server process shares the counts and
-- parallel attempts never get past a limit.
CREATE TABLE attempt_throttle (
    scope           text NOT NULL CHECK (scope IN ('ip', 'client')),
    key             text NOT NULL,            -- an IPv4 address, an IPv6 /64, or a client_id
    window_start    timestamptz NOT NULL,
    window_ends_at  timestamptz NOT NULL CHECK (window_ends_at > window_start),
    failures        integer NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (scope, key, window_start)
);
CREATE INDEX attempt_throttle_ended ON attempt_throttle (window_ends_at);
