-- The PIN pepper each hash was made with (secrets.pin_peppers, by id): a new pepper comes in as
-- customers are re-imported, and the old one verifies the hashes not yet made again.
-- A pepper configured without an id has id '0', as every hash stored before this migration.
ALTER TABLE account ADD COLUMN pin_pepper_id text NOT NULL DEFAULT '0';

-- `renkei clients remove`: the row stays (flows, grants and the operation log name it), the client
-- is gone for good: disabled, its grants revoked, left out of `clients list`, never enabled again.
ALTER TABLE oauth_client ADD COLUMN removed_at timestamptz;
