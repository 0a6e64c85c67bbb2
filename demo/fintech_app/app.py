"""テスト家計簿アプリ's web server: the pages a customer sees, and where the app talks to the bank.

- ``GET /``: the start page, 口座を連携する (or the account, once linked).
- ``POST /link``: PAR, then the browser to the bank's screens.
- ``GET /callback``: ``iss`` and ``state`` checked, the code exchanged, the tokens kept here.
- ``GET /account``: the linked account, its balance and latest 入出金明細 from the bank API;
  ``POST /account/refresh`` (更新) gets a new access token first if it has expired.
- ``POST /unlink``: 連携を解除する (revocation).
- ``GET /jwks.json``: the app's public key, which the bank registered as its ``jwks_uri``.

Tokens and PKCE verifiers stay in this server's session store; the browser holds only a
random session cookie. (One process keeps them in memory here; a production app keeps them
in its database, encrypted.)
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from demo.fintech_app import fapi2_client as bank
from demo.fintech_app.keys import public_key_set
from demo.fintech_app.messages import PROBLEMS, Problem, problem_for

SESSION_COOKIE = "kakeibo_session"
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


@dataclass
class Session:
    csrf_token: str
    pending: bank.PendingLink | None = None  # between 口座を連携する and the callback
    tokens: bank.Tokens | None = None  # once linked


@dataclass
class DemoApp:
    client: bank.Client
    issuer: str
    bank_api_url: str
    secure_cookies: bool = False
    sessions: dict[str, Session] = field(default_factory=dict)
    metadata: dict[str, Any] | None = None

    async def server_metadata(self) -> dict[str, Any]:
        if self.metadata is None:
            self.metadata = await bank.discover(self.client.http, self.issuer)
        return self.metadata


def demo(request: Request) -> DemoApp:
    return request.app.state.demo


def session_of(request: Request) -> Session | None:
    return demo(request).sessions.get(request.cookies.get(SESSION_COOKIE, ""))


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status, headers={"Cache-Control": "no-store"})


def problem_page(request: Request, problem: Problem, code: str = "", status: int = 200) -> Response:
    session = session_of(request)
    return page(request, "problem.html", status, problem=problem, code=code, csrf_token=session.csrf_token if session else "")


async def start(request: Request) -> Response:
    session = session_of(request)
    if session and session.tokens:
        return RedirectResponse("/account", status_code=303)
    if session:
        return page(request, "start.html", csrf_token=session.csrf_token)
    session_id, session = secrets.token_urlsafe(32), Session(csrf_token=secrets.token_urlsafe(32))
    demo(request).sessions[session_id] = session
    response = page(request, "start.html", csrf_token=session.csrf_token)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=demo(request).secure_cookies)
    return response


async def checked_session(request: Request) -> Session | None:
    """The session of a form post that carries its CSRF token; None otherwise."""
    session, form = session_of(request), await request.form()
    if session is None or not hmac.compare_digest(str(form.get("csrf_token", "")), session.csrf_token):
        return None
    return session


async def link(request: Request) -> Response:
    session = await checked_session(request)
    if session is None:
        return problem_page(request, PROBLEMS["expired"], status=400)
    try:
        url, session.pending = await bank.push_authorization_request(demo(request).client, await demo(request).server_metadata())
    except bank.ServerSaid as said:
        return problem_page(request, *problem_for(said.error, said.description))
    except httpx.HTTPError:
        return problem_page(request, PROBLEMS["unreachable"], "unreachable")
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    """The customer back from the bank: iss first (RFC 9207), then state, then the outcome."""
    app, session, query = demo(request), session_of(request), request.query_params
    if session is None or session.pending is None:
        return problem_page(request, PROBLEMS["expired"], "expired")
    pending, session.pending = session.pending, None  # a callback is answered once
    if query.get("iss") != app.issuer or not hmac.compare_digest(query.get("state", ""), pending.state):
        return problem_page(request, PROBLEMS["mismatch"], "iss/state", status=400)
    if "error" in query:
        return problem_page(request, *problem_for(query["error"], query.get("error_description", "")))
    try:
        session.tokens = await bank.exchange_code(app.client, await app.server_metadata(), query.get("code", ""), pending)
    except bank.ServerSaid as said:
        return problem_page(request, *problem_for(said.error, said.description))
    except httpx.HTTPError:
        return problem_page(request, PROBLEMS["unreachable"], "unreachable")
    return RedirectResponse("/account", status_code=303)


async def current_tokens(app: DemoApp, session: Session) -> bank.Tokens:
    """The session's tokens, refreshed first if the access token has expired."""
    assert session.tokens is not None
    if session.tokens.expires_at <= app.client.clock() + 5:
        session.tokens = await bank.refresh(app.client, await app.server_metadata(), session.tokens)
    return session.tokens


async def account(request: Request) -> Response:
    app, session = demo(request), session_of(request)
    if session is None or session.tokens is None:
        return RedirectResponse("/", status_code=303)
    try:
        tokens = await current_tokens(app, session)
        summary = await bank.call_api(app.client, tokens, app.bank_api_url + "/accounts/me")
        statement = await bank.call_api(app.client, tokens, app.bank_api_url + "/accounts/me/transactions")
    except bank.ServerSaid as said:
        if said.error in ("invalid_grant", "invalid_token"):  # the link ended at the bank
            session.tokens = None
            return problem_page(request, PROBLEMS["link_ended"], said.error)
        return problem_page(request, *problem_for(said.error, said.description))
    except httpx.HTTPError:
        return problem_page(request, PROBLEMS["unreachable"], "unreachable")
    return page(request, "account.html", summary=summary, rows=statement["transactions"], csrf_token=session.csrf_token)


async def refresh_view(request: Request) -> Response:
    """更新: the same page again; current_tokens refreshes an expired access token on the way."""
    if await checked_session(request) is None:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/account", status_code=303)


async def unlink(request: Request) -> Response:
    app, session = demo(request), await checked_session(request)
    if session is None or session.tokens is None:
        return RedirectResponse("/", status_code=303)
    try:
        await bank.revoke(app.client, await app.server_metadata(), session.tokens)
    except (bank.ServerSaid, httpx.HTTPError):
        return problem_page(request, PROBLEMS["unreachable"], "revoke")  # still linked: the customer may try again
    session.tokens = None
    return page(request, "unlinked.html", csrf_token=session.csrf_token)


async def jwks(request: Request) -> Response:
    return JSONResponse(public_key_set(demo(request).client.key), headers={"Cache-Control": "public, max-age=60"})


def create_demo_app(client: bank.Client, *, issuer: str, bank_api_url: str) -> Starlette:
    app = Starlette(routes=[
        Route("/", start, methods=["GET"]), Route("/link", link, methods=["POST"]),
        Route("/callback", callback, methods=["GET"]), Route("/account", account, methods=["GET"]),
        Route("/account/refresh", refresh_view, methods=["POST"]), Route("/unlink", unlink, methods=["POST"]),
        Route("/jwks.json", jwks, methods=["GET"]),
    ])
    app.state.demo = DemoApp(client, issuer.rstrip("/"), bank_api_url.rstrip("/"), issuer.startswith("https://"))
    return app
