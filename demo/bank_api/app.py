"""The demo bank API: ``GET /accounts/me`` (accounts:read) and ``GET /accounts/me/transactions``
(transactions:read) for the account a DPoP-bound access token was issued for.

Each call: the token from ``Authorization: DPoP``, what it says (introspection or JWT
verification, demo.bank_api.tokens), the DPoP proof bound to it (demo.bank_api.dpop), then the
scope the call needs. Every refusal is ``WWW-Authenticate: DPoP error="..."`` (RFC 6750 §3,
RFC 9449 §7.1) with the same error in a JSON body.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo.bank_api.dpop import ProofChecker, Refused, presented_token
from demo.bank_api.ledger import Account, demo_ledger
from demo.bank_api.tokens import Introspection, JwtVerification, TokenFacts

NO_STORE = {"Cache-Control": "no-store"}
LATEST = 10  # 入出金明細 rows per answer


@dataclass
class BankApi:
    public_url: str  # how apps reach this API: the htu their proofs name
    tokens: Introspection | JwtVerification
    proofs: ProofChecker
    ledger: dict[str, Account]

    async def authorized(self, request: Request, scope: str) -> TokenFacts:
        """The facts of a live DPoP-bound token whose proof binds this request, holding ``scope``."""
        access_token = presented_token(request.headers.get("authorization"))
        facts = await self.tokens.facts(access_token)
        if facts.jkt is None:
            raise Refused("invalid_token", "this API accepts DPoP-bound tokens only")
        self.proofs.check(request.headers.getlist("dpop"), method=request.method, url=self.public_url + request.url.path,
                          access_token=access_token, jkt=facts.jkt)
        if scope not in facts.scopes:
            raise Refused("insufficient_scope", f"this call needs the scope {scope}", status=403, scope=scope)
        return facts


def bank(request: Request) -> BankApi:
    return request.app.state.bank


def no_such_account() -> Response:
    return JSONResponse({"error": "not_found", "error_description": "this bank holds no such account"}, 404, headers=NO_STORE)


async def account(request: Request) -> Response:
    facts = await bank(request).authorized(request, "accounts:read")
    found = bank(request).ledger.get(facts.account)
    if found is None:
        return no_such_account()
    return JSONResponse({"account": {"type": found.type_name, "number": found.masked_number},
                         "balance": found.balance, "currency": "JPY"}, headers=NO_STORE)


async def transactions(request: Request) -> Response:
    facts = await bank(request).authorized(request, "transactions:read")
    found = bank(request).ledger.get(facts.account)
    if found is None:
        return no_such_account()
    rows = [{"date": t.date.isoformat(), "description": t.description, "amount": t.amount, "balance": t.balance}
            for t in reversed(found.transactions[-LATEST:])]
    return JSONResponse({"account": {"type": found.type_name, "number": found.masked_number}, "transactions": rows},
                        headers=NO_STORE)


async def refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refused)
    headers = {**NO_STORE, "WWW-Authenticate": error.challenge(), **({"DPoP-Nonce": error.nonce} if error.nonce else {})}
    body: dict[str, Any] = {"error": error.error, "error_description": error.description} if error.error else {}
    return JSONResponse(body, status_code=error.status, headers=headers)


def create_bank_api(*, issuer: str, public_url: str, credentials: tuple[str, str], mode: str = "introspection",
                    clock: Any = time.time, require_nonce: bool = False, http: httpx.AsyncClient | None = None) -> Starlette:
    """``credentials``: this API's resource-server registration at Renkei (client_id, secret);
    ``http``: a client to share, else one of its own, closed when the API stops."""
    own_http = httpx.AsyncClient(timeout=10) if http is None else None
    introspection = Introspection(http or own_http, issuer, credentials)  # type: ignore[arg-type]
    tokens = introspection if mode == "introspection" else JwtVerification(introspection, clock=clock)
    today = datetime.fromtimestamp(clock()).date()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if own_http is not None:
            await own_http.aclose()

    app = Starlette(routes=[Route("/accounts/me", account, methods=["GET"]),
                            Route("/accounts/me/transactions", transactions, methods=["GET"])],
                    exception_handlers={Refused: refused}, lifespan=lifespan)
    app.state.bank = BankApi(public_url.rstrip("/"), tokens, ProofChecker(secrets.token_bytes(32), require_nonce, clock),
                             demo_ledger(today))
    return app
