-- FAPI 2.0 lets the browser that first opened a pushed request's request_uri open it again
-- (an in-app browser reloading, a page restored) until the customer has finished the flow
-- it started. The browser is known by a cookie whose SHA-256 digest is kept here; the flow
-- is the one that request_uri last started.
ALTER TABLE par_request ADD COLUMN IF NOT EXISTS browser_digest bytea;
ALTER TABLE par_request ADD COLUMN IF NOT EXISTS flow_id uuid;
