"""Customers and apps using Renkei through the balancer: the screens, the call, the tokens."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from ivr.simulate import simulate_call
from server.demo import DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_SANDBOX_CLIENT_ID
from tests.cluster.rehearsal import Cluster, Person, people
from tests.flow.walk import Customer, auth_number_of, pkce_pair, reason_of, redirect_query

APP = DEMO_SANDBOX_CLIENT_ID  # a sandbox app: client_secret_basic, no PAR (demo-fintech is the FAPI 2.0 one)
APP_REDIRECT = DEMO_REDIRECT_URI
SERVED_BY = "x-served-by"  # the balancer names the app host that answered


@dataclass
class Browser(Customer):
    """A customer's browser on the balancer's URL (Customer's screens; the call rings through the balancer too)."""

    cluster: Cluster | None = None
    verifier: str = ""
    served_by: list[str] = field(default_factory=list)
    called_again: int = 0

    async def begin(self) -> None:
        self.verifier, challenge = pkce_pair()
        await self.start(client_id=APP, redirect_uri=APP_REDIRECT, code_challenge=challenge)

    async def open(self, path: str) -> httpx.Response:
        response = await super().open(path)
        self.served_by.append(response.headers.get(SERVED_BY, "?"))
        return response

    async def call_in(self, from_: str | None = None, to: str | None = None) -> httpx.Response:
        assert self.cluster is not None
        answer = await simulate_call(self.cluster.url, self.cluster.twilio_auth_token, from_ or "", to or auth_number_of(self.page),
                                     client=self.http)
        assert answer.status_code == 200 and "<Reject" in answer.text, answer.text[:300]
        return answer

    async def to_call_screen(self, person: Person) -> None:
        """Screens ① to ④: the auth number is on the page."""
        await self.begin()
        await self.post("/flow/account", person.form)
        await self.enter_details(person.birth_date)
        await self.post("/flow/phone")
        assert auth_number_of(self.page)

    async def approve_from_pin(self, person: Person) -> dict:
        """⑤ and ⑥, then the app exchanges the code: the app's tokens."""
        await self.post("/flow/pin", {"pin": person.pin})
        approved = await self.post("/flow/consent", {"decision": "approve"})
        assert approved.status_code == 303, (approved.status_code, reason_of(self.page), approved.text[:300])
        answer = redirect_query(approved)
        assert "code" in answer, (approved.headers["location"], approved.headers.get(SERVED_BY))
        code = answer["code"]
        return await exchange(self.http, code, self.verifier)

    async def link(self, person: Person) -> dict:
        """The whole flow, ① to the app's tokens, without a hitch."""
        await self.to_call_screen(person)
        await self.call_in(person.phone)
        for _ in range(3):
            if _to_pin(await self.post("/flow/phone/call")):
                return await self.approve_from_pin(person)
            # 認証中: the call did not count (it reached a host that could not record it: Twilio was
            # answered, the call rejected as usual). As the screen says, the customer calls again.
            self.called_again += 1
            await asyncio.sleep(1)
            await self.call_in(person.phone)
        raise AssertionError(f"the call never counted: {reason_of(self.page)}")


def _to_pin(confirmed: httpx.Response) -> bool:
    return confirmed.status_code == 303 and confirmed.headers["location"].endswith("/flow/pin")


def browser(cluster: Cluster, http: httpx.AsyncClient) -> Browser:
    return Browser(http=http, settings=None, cluster=cluster)  # type: ignore[arg-type]  (the call rings via the cluster)


async def linked(cluster: Cluster, branch: str, count: int) -> list[str]:
    """``count`` new customers of ``branch`` enrolled, each linking an app: the apps' refresh tokens."""
    customers = people(branch, count)
    await cluster.enrol(customers)
    async with cluster.client() as http:
        return [(await browser(cluster, http).link(c))["refresh_token"] for c in customers]


async def exchange(http: httpx.AsyncClient, code: str, verifier: str) -> dict:
    answer = await http.post("/token", auth=(APP, DEMO_CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": APP_REDIRECT, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post("/token", auth=(APP, DEMO_CLIENT_SECRET),
                           data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def oauth_error(answer: httpx.Response) -> str:
    """The OAuth error code of a refused API request, as an app reads it; what else came if it was not JSON."""
    if answer.status_code == 200:
        return ""
    if answer.headers.get("content-type", "").startswith("application/json"):
        return str(answer.json().get("error"))
    return f"not JSON: {answer.headers.get('content-type')}"


async def wait_screen_event(http: httpx.AsyncClient, reconnect_after: float = 3.0) -> tuple[str, str]:
    """What the wait screen's script does: listen, and listen again when the stream ends without an answer
    (a host going away says ``reconnect``; a lost one just stops).

    Returns the event (``matched`` or ``expired``) and the app host whose stream delivered it.
    """
    while True:
        try:
            async with http.stream("GET", "/flow/phone/events", timeout=httpx.Timeout(20, read=30)) as stream:
                if stream.status_code == 200:
                    async for line in stream.aiter_lines():
                        if line.startswith("event: ") and line != "event: reconnect":
                            return line.removeprefix("event: "), stream.headers.get(SERVED_BY, "?")
        except httpx.TransportError:
            pass
        await asyncio.sleep(reconnect_after)


@dataclass
class Outcome:
    at: float
    what: str
    status: int  # 0: no answer at all
    ok: bool
    error: str = ""


@dataclass
class Load:
    """Apps refreshing and customers linking, through the balancer, every answer recorded."""

    cluster: Cluster
    grants: list[str]  # refresh tokens, one per app grant, each refreshed in turn
    linkers: list[Person]
    outcomes: list[Outcome] = field(default_factory=list)
    running: bool = True
    called_again: int = 0  # calls that did not count, made again by the customer

    async def run(self) -> None:
        await asyncio.gather(*(self._refresher(i) for i in range(len(self.grants))),
                             *(self._linker(p) for p in self.linkers))

    def stop(self) -> None:
        self.running = False

    def failures(self, since: float = 0, until: float = float("inf")) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and since <= o.at <= until]

    def first_success(self, what: str, after: float) -> float | None:
        return next((o.at for o in self.outcomes if o.what == what and o.ok and o.at > after), None)

    def _record(self, what: str, status: int, ok: bool, error: str = "") -> None:
        self.outcomes.append(Outcome(time.monotonic(), what, status, ok, error))

    async def _refresher(self, index: int) -> None:
        async with self.cluster.client(timeout=30) as http:
            while self.running:
                try:
                    answer = await refresh(http, self.grants[index])
                except httpx.TransportError as error:
                    self._record("refresh", 0, False, repr(error))
                    await asyncio.sleep(0.2)
                    continue
                self._record("refresh", answer.status_code, answer.status_code == 200, oauth_error(answer))
                if answer.status_code == 200:
                    self.grants[index] = answer.json().get("refresh_token", self.grants[index])
                await asyncio.sleep(0.1)

    async def _linker(self, person: Person) -> None:
        while self.running:
            async with self.cluster.client(timeout=30) as http:
                customer = browser(self.cluster, http)
                try:
                    await customer.link(person)
                    self._record("link", 200, True)
                except (AssertionError, httpx.HTTPError, KeyError) as error:
                    self._record("link", getattr(getattr(error, "response", None), "status_code", 0), False, repr(error)[:300])
                    await asyncio.sleep(0.2)
                self.called_again += customer.called_again
