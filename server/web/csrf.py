"""The hidden ``csrf_token`` of every form: an HMAC of the flow id under the (first) session key.

The flow id never leaves the server (the cookie holds another random value), so
a page on another site can neither read nor compute the token.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


def csrf_token(session_key: str, flow_id: UUID) -> str:
    return hmac.new(session_key.encode(), b"flow-csrf:" + flow_id.bytes, hashlib.sha256).hexdigest()


def csrf_token_valid(session_keys: tuple[str, ...], flow_id: UUID, presented: str | None) -> bool:
    """Made under any of the session keys: a page served before a key rotation still posts."""
    if not presented or len(presented) > 128:
        return False
    return any(hmac.compare_digest(csrf_token(key, flow_id), presented) for key in session_keys)
