"""The customer's screens ① to ⑥, /authorize that starts them, and our static files."""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.flow import account, call, consent, customer, phone, pin
from server.flow.leave import leave
from server.flow.visit import screen_endpoint
from server.oauth.authorize import authorize
from server.settings import PACKAGE_DIR
from server.web.paths import LEAVE_PATH

STATIC_DIR = PACKAGE_DIR / "static"

routes = [
    Route("/authorize", authorize, methods=["GET"]),
    Route("/flow/account", screen_endpoint("account", show=account.show, submit=account.submit), methods=["GET", "POST"]),
    Route("/flow/customer", screen_endpoint("customer", show=customer.show, submit=customer.submit), methods=["GET", "POST"]),
    Route("/flow/phone", screen_endpoint("phone", show=phone.show, submit=phone.submit), methods=["GET", "POST"]),
    Route("/flow/phone/call", screen_endpoint("call", show=call.show, submit=call.submit), methods=["GET", "POST"]),
    Route(call.NEW_NUMBER_PATH, screen_endpoint("call", submit=call.new_number), methods=["POST"]),
    Route("/flow/phone/events", screen_endpoint("call", show=call.events), methods=["GET"]),
    Route("/flow/phone/simulate", screen_endpoint("call", submit=call.simulate), methods=["POST"]),
    Route("/flow/pin", screen_endpoint("pin", show=pin.show, submit=pin.submit), methods=["GET", "POST"]),
    Route("/flow/consent", screen_endpoint("consent", show=consent.show, submit=consent.submit), methods=["GET", "POST"]),
    Route(LEAVE_PATH, leave, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
