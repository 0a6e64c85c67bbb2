-- Housekeeping (server/db/retention.py) finds the rows it may delete through these
-- indexes, a batch at a time, instead of scanning whole tables every few minutes.
-- Each is on a column that is written once, so the rows' later updates stay HOT.
-- IF NOT EXISTS: on a large database an operator may build them beforehand with
-- CREATE INDEX CONCURRENTLY (same names), since a migration runs in a transaction.

CREATE INDEX IF NOT EXISTS dpop_proof_forget_after ON dpop_proof (forget_after);
CREATE INDEX IF NOT EXISTS access_token_expires ON access_token (expires_at);
CREATE INDEX IF NOT EXISTS refresh_token_issued ON refresh_token (issued_at);
CREATE INDEX IF NOT EXISTS authorization_code_unused_expires ON authorization_code (expires_at) WHERE used_at IS NULL;
CREATE INDEX IF NOT EXISTS authorization_code_used_issued ON authorization_code (issued_at) WHERE used_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS par_request_expires ON par_request (expires_at);
CREATE INDEX IF NOT EXISTS phone_check_open_expires ON phone_check (expires_at) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS ivr_call_received ON ivr_call (received_at);
-- Deleting a flow deletes its phone checks; each then looks for a call naming it.
CREATE INDEX IF NOT EXISTS ivr_call_by_phone_check ON ivr_call (phone_check_id) WHERE phone_check_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS flow_created ON flow (created_at);
CREATE INDEX IF NOT EXISTS email_outbox_created ON email_outbox (created_at);
CREATE INDEX IF NOT EXISTS account_failure_by_day ON account_failure (tokyo_day);
