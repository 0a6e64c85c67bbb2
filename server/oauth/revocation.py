"""What every process knows about revoked access tokens, without asking the database per call.

Access tokens are JWTs checked locally, so revocation must reach every process:
each keeps the set of revoked grant ids and token ids (jti), loaded at start and
kept current by LISTEN/NOTIFY on ``renkei_revocation`` (the NOTIFY is sent in the
revoking transaction, so it arrives exactly when the revocation is committed).
When the process's listening connection is lost the whole set is loaded again
after it reconnects (server.db.listener), since NOTIFYs sent meanwhile are gone.

Revocation never un-happens, so a load merges into the set instead of replacing
it: a NOTIFY that arrives while a load runs is never lost. An entry is kept
until every token it could cover has expired anyway.

A NOTIFY reaches the listeners just after the commit, not in the same instant.
The process that revokes therefore also notes the revocation itself (``note``),
so it never answers "active" for a token it has just revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from server.db import tokens
from server.db.listener import Subscription
from server.logs import get_logger
from server.runtime import Runtime

log = get_logger(__name__)

PRUNE_EVERY = timedelta(minutes=1)


class RevocationSet:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.grants: dict[str, datetime] = {}  # revoked grant id -> forget after
        self.jtis: dict[str, datetime] = {}  # revoked access token id -> forget after
        self._pruned_at: datetime | None = None
        self.listener: Subscription | None = None

    async def start(self) -> None:
        """Load the set, then keep it current; returns once loaded."""
        self.listener = await self.runtime.listener.subscribe(
            tokens.REVOCATION_CHANNEL, on_notify=self._notified, on_connect=self.load
        )

    async def close(self) -> None:
        if self.listener is not None:
            await self.listener.close()

    def is_revoked(self, *, grant_id: str, jti: str) -> bool:
        return grant_id in self.grants or jti in self.jtis

    def note(self, *, grant_id: UUID | None = None, jti: str | None = None) -> None:
        """What this process revoked (if its transaction then failed, this process alone is stricter)."""
        keep_until = self._keep_until(self.runtime.clock.now())
        if grant_id is not None:
            self.grants[str(grant_id)] = keep_until
        if jti is not None:
            self.jtis[jti] = keep_until

    async def load(self) -> None:
        """Merge every revocation that can still matter (tokens not yet expired)."""
        now = self.runtime.clock.now()
        grants = await tokens.revoked_grants_with_live_tokens(self.runtime.pool, now)
        jtis = await tokens.revoked_live_access_tokens(self.runtime.pool, now)
        keep_until = self._keep_until(now)
        self.grants.update((str(grant_id), keep_until) for grant_id in grants)
        self.jtis.update((jti, keep_until) for jti in jtis)
        log.info("revocations.loaded", grants=len(grants), access_tokens=len(jtis))

    def _notified(self, payload: str) -> None:
        kind, _, value = payload.partition(":")
        now = self.runtime.clock.now()
        target = {"grant": self.grants, "jti": self.jtis}.get(kind)
        if target is None or not value:
            log.warning("revocations.unknown_notice", kind=kind)
            return
        target[value] = self._keep_until(now)
        self._prune(now)

    def _keep_until(self, now: datetime) -> datetime:
        # No access token outlives its issue by more than access_token_seconds.
        return now + timedelta(seconds=self.runtime.settings.policy.access_token_seconds)

    def _prune(self, now: datetime) -> None:
        if self._pruned_at and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        for entries in (self.grants, self.jtis):
            for key in [k for k, until in entries.items() if until < now]:
                del entries[key]
