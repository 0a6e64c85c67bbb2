"""docs/examples/js/fapi2.mjs (oauth4webapi, on Debian's Node) completes against a real Renkei and the demo bank API."""

from __future__ import annotations

import shutil

import pytest

from tests.examples.conftest import EXAMPLES

JS = EXAMPLES / "js"


async def test_the_javascript_example_links_reads_the_balance_refreshes_and_revokes(example_world):
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "oauth4webapi").exists():
        pytest.fail("Node or oauth4webapi is missing: run scripts/install test")
    result = await example_world.run([node, "fapi2.mjs"], cwd=JS)
    assert result["token_type"].lower() == "dpop" and result["scope"] == "accounts:read transactions:read"
    assert result["/accounts/me"]["account"]["number"] == "001-****567"
    assert result["/accounts/me/transactions"]["transactions"]
    assert result["refresh_token_kept"] is True
    grants = await example_world.renkei.runtime.pool.fetch("SELECT revoked_at FROM oauth_grant")
    assert len(grants) == 1 and grants[0]["revoked_at"] is not None  # 連携を解除する reached the bank
