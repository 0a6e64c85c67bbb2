"""docs/examples/python/fapi2.py (authlib + joserfc) completes against a real Renkei and the demo bank API."""

from __future__ import annotations

import sys

from tests.examples.conftest import EXAMPLES


async def test_the_python_example_links_reads_the_balance_refreshes_and_revokes(example_world):
    result = await example_world.run([sys.executable, str(EXAMPLES / "python" / "fapi2.py")], cwd=EXAMPLES / "python")
    assert result["token_type"] == "DPoP" and result["scope"] == "accounts:read transactions:read"
    assert result["/accounts/me"]["account"]["number"] == "001-****567"
    assert result["/accounts/me/transactions"]["transactions"]
    assert result["refresh_token_kept"] is True
    grants = await example_world.renkei.runtime.pool.fetch("SELECT revoked_at FROM oauth_grant")
    assert len(grants) == 1 and grants[0]["revoked_at"] is not None  # 連携を解除する reached the bank
