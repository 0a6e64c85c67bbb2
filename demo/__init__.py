"""Clients of Renkei for development: the demo fintech app (テスト家計簿アプリ) and the demo bank API.

Both are written the way a production app and a production resource server must
integrate, so that app makers and the bank's API teams can copy them. `scripts/serve`
starts them beside the server (`python -m demo`).
"""
