"""`renkei customers import FILE.csv`: upsert customers from a core-banking extract.

Every row is checked first; one bad row and nothing is imported. PINs are
hashed on every core (argon2 is slow on purpose), then all rows are written in
one transaction. Nothing personal is printed: problems name line and column,
the summary counts rows.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import click
from passlib.hash import argon2

from server.cli.common import cli_settings, with_database
from server.clock import clock_for
from server.customer_import import Customer, CustomerFile, read_customers
from server.db import accounts, oplog
from server.hashing import Argon2Params, SlowHashPool
from server.runtime import argon2_params
from server.settings import Settings


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    inserted: int
    updated: int

    def __str__(self) -> str:
        unchanged = self.rows - self.inserted - self.updated
        return f"{self.rows} rows: {self.inserted} inserted, {self.updated} updated, {unchanged} unchanged"


def read_extract(path: Path, encoding: str) -> str:
    """The file's text; a clear error (with the line) when it is not in ``encoding``."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except LookupError:
        raise click.BadParameter(f"unknown encoding {encoding}", param_hint="--encoding") from None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise click.ClickException(
            f"{path.name}: line {line} is not {encoding} text; Shift_JIS extracts need --encoding cp932"
        ) from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def report_problems(name: str, parsed: CustomerFile) -> None:
    for problem in parsed.problems:
        click.echo(f"{name}: {problem}", err=True)
    problems, lines = len(parsed.problems), len({problem.line for problem in parsed.problems})
    raise click.ClickException(f"{_count(problems, 'problem')} on {_count(lines, 'line')} of {name}; nothing imported")


def _hash_is_current(pin_hash: str | None, params: Argon2Params) -> bool:
    """Whether a stored hash was made with today's argon2 parameters (else it is made again)."""
    try:
        made = argon2.from_string(pin_hash or "")
    except ValueError:
        return False
    return (made.type, made.memory_cost, made.rounds, made.parallelism) == ("id", params.memory_kib, params.time_cost, params.parallelism)


async def _settle_on_pool(slow: SlowHashPool, workers: int, customers: list[Customer], stored: dict, hashes: list[str | None]) -> None:
    """Keep each stored hash that still verifies its row's PIN; hash the other PINs anew."""
    keep = [i for i, c in enumerate(customers) if hashes[i] is None and c.key in stored]
    verified = await asyncio.gather(*(slow.verify_pin(customers[i].pin, stored[customers[i].key], slow.pepper_id) for i in keep))
    for i, still_good in zip(keep, verified):
        if still_good:
            hashes[i] = stored[customers[i].key]
    fresh = [i for i, pin_hash in enumerate(hashes) if pin_hash is None]
    chunksize = max(1, min(64, len(fresh) // (4 * workers)))
    made = await asyncio.to_thread(slow.map_hash_pins, [customers[i].pin for i in fresh], chunksize)
    for i, pin_hash in zip(fresh, made):
        hashes[i] = pin_hash


async def pin_hashes(settings: Settings, customers: list[Customer], stored: dict) -> list[str]:
    """The hash to store for each customer: the one given (pin_hash column), the stored one
    when it verifies the PIN under today's parameters and pepper (so a re-import changes nothing),
    or a new one: every hash this returns is made with the current pepper."""
    params, pepper_id = argon2_params(settings), settings.secrets.pin_pepper_id
    hashes: list[str | None] = [c.pin_hash for c in customers]
    stored = {key: h for key, (h, made_with) in stored.items() if made_with == pepper_id and _hash_is_current(h, params)}
    pins = sum(1 for h in hashes if h is None)
    if pins:
        workers = min(os.cpu_count() or 1, pins)
        slow = SlowHashPool(settings.secrets.pin_peppers, params, workers=workers)
        try:
            await _settle_on_pool(slow, workers, customers, stored, hashes)
        finally:
            slow.close()
    return [h for h in hashes if h is not None]


def account_row(customer: Customer, pin_hash: str, pepper_id: str) -> tuple:
    c = customer
    return (c.branch_code, c.account_type, c.account_number, c.birth_date, c.name_kana, list(c.phones),
            pin_hash, c.cash_card, c.status, c.moved_to, pepper_id)


async def import_customers(pool: asyncpg.Pool, settings: Settings, customers: list[Customer], now: datetime) -> ImportSummary:
    """Hash, then upsert every customer in one transaction, recorded in the operation log."""
    async with pool.acquire() as conn:
        stored = await accounts.pin_hashes_of(conn, [c.key for c in customers])
    hashes = await pin_hashes(settings, customers, stored)
    rows = [account_row(c, h, settings.secrets.pin_pepper_id) for c, h in zip(customers, hashes, strict=True)]
    async with pool.acquire() as conn, conn.transaction():
        inserted, updated = await accounts.upsert_accounts(conn, rows, now)
        summary = ImportSummary(len(rows), inserted, updated)
        detail = {"rows": summary.rows, "inserted": inserted, "updated": updated}
        await oplog.append(conn, oplog.Entry(at=now, event="customers:import", outcome="success", detail=detail))
    return summary


@click.group()
def customers() -> None:
    """Customers' accounts, from core-banking extracts."""


@customers.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True, help="The file's encoding; cp932 for Shift_JIS extracts.")
def import_command(file: Path, encoding: str) -> None:
    """Upsert customers from FILE (CSV: branch_code,account_type,account_number,birth_date,
    name_kana,phones,pin,cash_card,status; or pin_hash instead of pin). All rows or none."""
    settings = cli_settings()
    now = clock_for(settings.clock_file).now()
    parsed = read_customers(read_extract(file, encoding), today=now.date())
    if parsed.problems:
        report_problems(file.name, parsed)
    summary = with_database(settings, lambda pool: import_customers(pool, settings, parsed.customers, now))
    click.echo(f"{file.name}: {summary}")
