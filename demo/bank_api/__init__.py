"""The demo bank API: the bank's resource server for balances and 入出金明細, accepting only DPoP-bound tokens."""
