-- Renkei's foundation schema.
-- Every time that decides policy is written by the application from its clock
-- (Asia/Tokyo); no column default or query uses now() to decide a rule.

-- Customers' accounts, as extracted from core banking.
CREATE TABLE account (
    id              bigserial PRIMARY KEY,
    branch_code     text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
    account_type    smallint NOT NULL CHECK (account_type BETWEEN 1 AND 9),
    account_number  text NOT NULL CHECK (account_number ~ '^[0-9]{7}$'),
    birth_date      date NOT NULL,
    name_kana       text NOT NULL,
    phones          text[] NOT NULL CHECK (cardinality(phones) >= 1),  -- E.164
    pin_hash        text NOT NULL,          -- argon2 over HMAC(pepper, PIN)
    cash_card       boolean NOT NULL,
    status          text NOT NULL CHECK (status IN ('active', 'closed', 'moved')),
    moved_to        text CHECK (moved_to ~ '^[0-9]{3}-[0-9]-[0-9]{7}$'),
    imported_at     timestamptz NOT NULL,
    UNIQUE (branch_code, account_type, account_number),
    CHECK ((status = 'moved') = (moved_to IS NOT NULL))
);

-- Fintech apps, and the bank's resource servers that introspect tokens.
CREATE TABLE oauth_client (
    client_id        text PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('app', 'resource_server')),
    name             text NOT NULL,
    operator         text NOT NULL DEFAULT '',
    profile          text NOT NULL CHECK (profile IN ('sandbox', 'fapi2')),
    auth_method      text NOT NULL CHECK (auth_method IN ('client_secret_basic', 'private_key_jwt')),
    secret_digest    bytea,                  -- HMAC-SHA256 of the secret; never the secret
    jwks             jsonb,
    jwks_uri         text,
    redirect_uris    text[] NOT NULL DEFAULT '{}',
    scopes           text[] NOT NULL DEFAULT '{}',
    require_par      boolean NOT NULL,
    require_dpop     boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    disabled_at      timestamptz
);

-- One customer's walk through the screens, bound to a cookie.
CREATE TABLE flow (
    id                     uuid PRIMARY KEY,
    cookie_digest          bytea NOT NULL UNIQUE,   -- SHA-256 of the cookie value
    client_id              text NOT NULL REFERENCES oauth_client,
    redirect_uri           text NOT NULL,
    scopes                 text[] NOT NULL,
    state                  text,
    code_challenge         text NOT NULL,
    code_challenge_method  text NOT NULL CHECK (code_challenge_method = 'S256'),
    dpop_jkt               text,
    response_mode          text,
    lang                   text NOT NULL DEFAULT 'ja',
    step                   text NOT NULL,           -- the next screen the customer may post
    account_id             bigint REFERENCES account,
    name_kana              text,                    -- as entered; for the operation log only
    email                  text,                    -- for the completion notice only
    created_at             timestamptz NOT NULL,
    last_seen_at           timestamptz NOT NULL,
    finished_at            timestamptz,
    outcome                text                     -- approved | denied | failed | expired
);
CREATE INDEX flow_account_open ON flow (account_id) WHERE finished_at IS NULL;

-- A displayed auth number waiting for the customer's call (screen ④).
CREATE TABLE phone_check (
    id              bigserial PRIMARY KEY,
    flow_id         uuid NOT NULL REFERENCES flow ON DELETE CASCADE,
    account_id      bigint NOT NULL REFERENCES account,
    auth_number     text NOT NULL,            -- E.164, To
    caller_phones   text[] NOT NULL,          -- the registered numbers allowed as From
    shown_at        timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    state           text NOT NULL CHECK (state IN ('open', 'matched', 'void')),
    call_sid        text,
    matched_at      timestamptz
);
CREATE INDEX phone_check_open_by_number ON phone_check (auth_number) WHERE state = 'open';
CREATE INDEX phone_check_by_flow ON phone_check (flow_id);
CREATE INDEX phone_check_open_by_account ON phone_check (account_id) WHERE state = 'open';

-- Every call Twilio told us about, once per CallSid (Twilio retries).
CREATE TABLE ivr_call (
    call_sid        text PRIMARY KEY,
    auth_number     text NOT NULL,
    caller_masked   text NOT NULL,
    received_at     timestamptz NOT NULL,
    outcome         text NOT NULL,            -- matched | unmatched | late | withheld
    phone_check_id  bigint REFERENCES phone_check,
    final_status    text,                     -- from the status callback
    status_at       timestamptz
);

-- Failures per account, kind and Tokyo day; the lock that engages at the limit.
CREATE TABLE account_failure (
    account_id      bigint NOT NULL REFERENCES account,
    kind            text NOT NULL CHECK (kind IN ('identity', 'pin')),
    tokyo_day       date NOT NULL,
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_at       timestamptz,
    locked_until    timestamptz,
    cleared_at      timestamptz,
    cleared_by      text,
    PRIMARY KEY (account_id, kind, tokyo_day)
);
CREATE INDEX account_failure_locked ON account_failure (account_id) WHERE locked_until IS NOT NULL;

-- Pushed authorization requests (RFC 9126).
CREATE TABLE par_request (
    request_uri_digest  bytea PRIMARY KEY,
    client_id           text NOT NULL REFERENCES oauth_client,
    params              jsonb NOT NULL,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    used_at             timestamptz
);

-- A customer's approval of an app's access to an account.
CREATE TABLE oauth_grant (
    id                 uuid PRIMARY KEY,
    client_id          text NOT NULL REFERENCES oauth_client,
    account_id         bigint NOT NULL REFERENCES account,
    scopes             text[] NOT NULL,
    dpop_jkt           text,
    authenticated_at   timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,   -- authenticated_at + grant_max_days
    last_used_at       timestamptz NOT NULL,
    revoked_at         timestamptz,
    revoked_reason     text
);
CREATE INDEX oauth_grant_by_account ON oauth_grant (account_id) WHERE revoked_at IS NULL;
CREATE INDEX oauth_grant_revoked ON oauth_grant (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE authorization_code (
    code_digest        bytea PRIMARY KEY,
    grant_id           uuid NOT NULL REFERENCES oauth_grant,
    client_id          text NOT NULL REFERENCES oauth_client,
    redirect_uri       text NOT NULL,
    code_challenge     text NOT NULL,
    dpop_jkt           text,
    issued_at          timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    used_at            timestamptz
);

CREATE TABLE refresh_token (
    token_digest       bytea PRIMARY KEY,
    grant_id           uuid NOT NULL REFERENCES oauth_grant,
    issued_at          timestamptz NOT NULL,
    rotated_at         timestamptz,           -- used once and replaced (sandbox)
    revoked_at         timestamptz
);
CREATE INDEX refresh_token_by_grant ON refresh_token (grant_id);

-- Access tokens are JWTs; this records each one's id so revocation can name them.
CREATE TABLE access_token (
    jti                text PRIMARY KEY,
    grant_id           uuid NOT NULL REFERENCES oauth_grant,
    issued_at          timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz
);
CREATE INDEX access_token_by_grant ON access_token (grant_id);

-- DPoP proof ids seen, for replay detection, kept until their iat window passes.
CREATE TABLE dpop_proof (
    jti                text PRIMARY KEY,
    seen_at            timestamptz NOT NULL,
    forget_after       timestamptz NOT NULL
);

-- Branch (営業店) and head office (本部事務部) staff.
CREATE TABLE staff (
    staff_id           text PRIMARY KEY CHECK (staff_id ~ '^[A-Za-z0-9._-]{3,64}$'),
    branch_code        text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
    role               text NOT NULL CHECK (role IN ('branch', 'hq')),
    password_hash      text NOT NULL,
    failed_logins      integer NOT NULL DEFAULT 0,
    locked_until       timestamptz,
    created_at         timestamptz NOT NULL,
    disabled_at        timestamptz
);

CREATE TABLE staff_session (
    session_digest     bytea PRIMARY KEY,
    staff_id           text NOT NULL REFERENCES staff,
    created_at         timestamptz NOT NULL,
    last_seen_at       timestamptz NOT NULL,
    ended_at           timestamptz
);

-- Windows staff add to the published calendar.
CREATE TABLE maintenance_window (
    id                 bigserial PRIMARY KEY,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason             text NOT NULL,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    cancelled_at       timestamptz,
    cancelled_by       text
);

-- Completion notices, written with the grant and sent afterwards.
CREATE TABLE email_outbox (
    id                 bigserial PRIMARY KEY,
    to_address         text NOT NULL,
    subject            text NOT NULL,
    body               text NOT NULL,
    created_at         timestamptz NOT NULL,
    next_attempt_at    timestamptz NOT NULL,
    attempts           integer NOT NULL DEFAULT 0,
    sent_at            timestamptz,
    last_error         text
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The operation log: every attempt at every screen, every call, every staff action.
CREATE TABLE operation_log (
    id                 bigserial PRIMARY KEY,
    at                 timestamptz NOT NULL,
    event              text NOT NULL,           -- e.g. flow:account:failure, ivr:call, staff:unlock
    outcome            text NOT NULL,           -- success | failure | info
    reason_code        text,
    account_id         bigint REFERENCES account,
    account_masked     text,                    -- 001-1-***4567
    name_kana          text,
    client_id          text,
    flow_id            uuid,
    staff_id           text,
    ip                 text,
    user_agent         text,
    detail             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX operation_log_by_account ON operation_log (account_id, at DESC);
CREATE INDEX operation_log_by_at ON operation_log (at);

-- Append-only: the log may be added to, never changed or removed from.
CREATE FUNCTION operation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'operation_log is append-only';
END;
$$;
CREATE TRIGGER operation_log_no_change BEFORE UPDATE OR DELETE ON operation_log
    FOR EACH ROW EXECUTE FUNCTION operation_log_append_only();
CREATE TRIGGER operation_log_no_truncate BEFORE TRUNCATE ON operation_log
    FOR EACH STATEMENT EXECUTE FUNCTION operation_log_append_only();
