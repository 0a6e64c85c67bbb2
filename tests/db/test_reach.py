"""What the one line says when PostgreSQL cannot be reached: where, and why, without the password."""

from __future__ import annotations

import socket

import asyncpg
import pytest

from server.db.reach import where, why


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://renkei:s3cret@db.bank.example:6432/renkei", "db.bank.example:6432"),
    ("postgresql://renkei@10.0.0.5/renkei", "10.0.0.5:5432"),
    ("postgresql://postgres:@/postgres?host=/srv/renkei/var/pgdata", "/srv/renkei/var/pgdata"),
    ("postgresql:///renkei", "localhost:5432"),
])
def test_where_names_host_and_port_and_never_the_password(url: str, shown: str) -> None:
    assert where(url) == shown


@pytest.mark.parametrize(("error", "said"), [
    (ConnectionRefusedError(111, "Connect call failed"), "connection refused"),
    (socket.gaierror(-2, "Name or service not known"), "unknown host"),
    (TimeoutError(), "timed out"),
    (FileNotFoundError(2, "No such file"), "no server socket there"),
    (asyncpg.CannotConnectNowError("the database system is starting up"), "the server is starting up or shutting down"),
    (asyncpg.InvalidPasswordError('password authentication failed for user "renkei"\nDETAIL: x'),
     'password authentication failed for user "renkei"'),
])
def test_why_says_the_reason_in_a_few_words(error: BaseException, said: str) -> None:
    assert why(error) == said
