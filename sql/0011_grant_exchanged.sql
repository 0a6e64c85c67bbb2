-- When the app first exchanged the grant's authorization code (server.db.tokens.use_grant): until then
-- the app holds nothing to use the grant with, and once the code has expired unexchanged it never will.
-- Head office's live links (server/db/stats.py) count a grant from this instant; the codes and refresh
-- tokens that would otherwise tell are pruned by housekeeping, this column never is.
ALTER TABLE oauth_grant ADD COLUMN IF NOT EXISTS exchanged_at timestamptz;

-- Grants from before this column: the used code's time while the code is kept.
UPDATE oauth_grant g SET exchanged_at = c.used_at
  FROM (SELECT grant_id, min(used_at) AS used_at FROM authorization_code WHERE used_at IS NOT NULL GROUP BY grant_id) c
 WHERE c.grant_id = g.id AND g.exchanged_at IS NULL;
-- Else: a grant's only use before its first refresh is the exchange, so any sign of use (a refresh
-- token, a later use) means it was exchanged within its code's lifetime (a minute) of the consent.
UPDATE oauth_grant g SET exchanged_at = g.authenticated_at
 WHERE g.exchanged_at IS NULL
   AND (g.last_used_at > g.authenticated_at OR EXISTS (SELECT 1 FROM refresh_token r WHERE r.grant_id = g.id));
