-- `renkei clients rotate-secret --keep-previous-for DURATION`: the secret just replaced keeps working
-- until previous_secret_ends_at, so an app running several servers can deploy the new one without an
-- outage. Only its SHA-256 digest is kept, as for the current secret; only one previous secret at a time.
ALTER TABLE oauth_client ADD COLUMN IF NOT EXISTS previous_secret_digest bytea;
ALTER TABLE oauth_client ADD COLUMN IF NOT EXISTS previous_secret_ends_at timestamptz;
ALTER TABLE oauth_client ADD CONSTRAINT oauth_client_previous_secret_has_an_end
    CHECK ((previous_secret_digest IS NULL) = (previous_secret_ends_at IS NULL));
