"""テスト家計簿アプリ: the demo fintech app, a FAPI 2.0 client of Renkei (PAR, PKCE S256, private_key_jwt, DPoP)."""
