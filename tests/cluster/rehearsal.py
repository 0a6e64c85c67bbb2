"""The running rehearsal as a test sees it: its public URL, its hosts, and the operator's commands."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx

from server.settings import PROJECT_ROOT

SECRETS = PROJECT_ROOT / "var" / "cluster" / "secrets.json"
CSV_COLUMNS = ["branch_code", "account_type", "account_number", "birth_date", "name_kana", "phones", "pin", "cash_card", "status"]


@dataclass(frozen=True)
class Person:
    """A customer of the bank, as the core-banking extract lists them."""

    branch_code: str
    account_number: str
    phone: str  # E.164
    birth_date: str = "1980-04-01"
    pin: str = "1234"
    account_type: str = "1"

    @property
    def form(self) -> dict[str, str]:
        return {"branch_code": self.branch_code, "account_type": self.account_type, "account_number": self.account_number}

    @property
    def label(self) -> str:
        return f"{self.branch_code}-{self.account_type}-{self.account_number}"


def people(branch_code: str, count: int) -> list[Person]:
    """``count`` customers of one branch (each scenario its own branch: locks and counts stay apart)."""
    return [Person(branch_code, f"{n:07d}", f"+8190{branch_code}{n:05d}") for n in range(1, count + 1)]


async def eventually(what: str, check: Callable[[], Awaitable[bool]], timeout: float = 60) -> float:
    """Wait until ``check`` holds; the monotonic time it first did."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.2)
    return time.monotonic()


class Cluster:
    def __init__(self, description: dict, command: Callable[..., str]) -> None:
        self.url: str = description["url"]
        self.ca_file: str = description["ca_file"]
        self.twilio_auth_token: str = description["twilio_auth_token"]
        self.hosts: list[dict] = description["hosts"]
        self.command = command

    def address(self, name: str) -> str:
        return next(h["address"] for h in self.hosts if h["name"] == name)

    def names(self, role: str) -> list[str]:
        return [h["name"] for h in self.hosts if h["role"] == role]

    def client(self, timeout: float = 20) -> httpx.AsyncClient:
        """A browser, an app or Twilio: https to the balancer, trusting the rehearsal's CA."""
        return httpx.AsyncClient(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca_file), timeout=timeout)

    async def run(self, *args: str) -> str:
        return await asyncio.to_thread(self.command, *args)

    async def enrol(self, customers: list[Person]) -> None:
        """``renkei customers import``, as the bank's nightly extract would."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for c in customers:
            writer.writerow([c.branch_code, c.account_type, c.account_number, c.birth_date, "テスト タロウ",
                             "0" + c.phone.removeprefix("+81"), c.pin, "true", "active"])
        with tempfile.NamedTemporaryFile("w", suffix=".csv", dir="/tmp", prefix="rk-customers-") as extract:
            extract.write(out.getvalue())
            extract.flush()
            await self.run("renkei", "customers", "import", extract.name)

    async def patroni(self, name: str, endpoint: str = "patroni") -> tuple[int, dict]:
        async with httpx.AsyncClient(timeout=2) as http:
            try:
                answer = await http.get(f"http://{self.address(name)}:8008/{endpoint}")
            except httpx.HTTPError:
                return 0, {}
            return answer.status_code, answer.json() if answer.content else {}

    async def says(self, name: str, endpoint: str) -> bool:
        """Patroni's REST API on ``name`` answers 200 at ``endpoint`` (primary, replica, sync...)."""
        return (await self.patroni(name, endpoint))[0] == 200

    async def primary(self) -> str | None:
        for name in self.names("postgres"):
            if await self.says(name, "primary"):
                return name
        return None

    async def is_primary(self, name: str) -> bool:
        return await self.primary() == name

    async def members(self) -> list[dict]:
        """Patroni's view of the PostgreSQL hosts (``name``, ``role``: leader, sync_standby, replica; ``state``)."""
        for name in self.names("postgres"):
            status, cluster = await self.patroni(name, "cluster")
            if status == 200:
                return cluster["members"]
        return []

    async def switchover(self, leader: str, candidate: str) -> None:
        """A planned switchover, as an operator asks Patroni for one: once the candidate is the synchronous standby.

        In synchronous mode Patroni hands the primary only to that standby; after
        a failover the remaining standby becomes it a loop or two after it streams
        from the new primary (`patronictl list`: Sync Standby, DEPLOYMENT.md).
        """
        await eventually(f"{candidate} the synchronous standby", lambda: self.says(candidate, "sync"))
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(f"http://{self.address(leader)}:8008/switchover", json={"leader": leader, "candidate": candidate})
        assert answer.status_code == 200, answer.text

    async def database(self, name: str | None = None) -> asyncpg.Connection:
        """A connection to one PostgreSQL host (the primary by default), as Renkei's role."""
        password = json.loads(SECRETS.read_text())["renkei_password"]
        target = name or await self.primary()
        assert target, "no primary"
        return await asyncpg.connect(host=self.address(target), user="renkei", password=password, database="renkei")
