"""`renkei staff add`: a new staff account whose password arrives on stdin."""

from __future__ import annotations

import asyncpg

from server.hashing import verify_password
from tests.cli.conftest import PRODUCTION, Renkei

ADD_CLERK = ("staff", "add", "--id", "tanaka.k", "--branch", "011", "--role", "branch", "--password-stdin")


async def test_a_new_clerk_signs_in_with_the_password_given_on_stdin(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei(*ADD_CLERK, stdin="correct horse\n")

    assert result.returncode == 0, result.stderr
    clerk = await db.fetchrow("SELECT * FROM staff WHERE staff_id = 'tanaka.k'")
    assert (clerk["branch_code"], clerk["role"]) == ("011", "branch")
    assert verify_password("correct horse", clerk["password_hash"])
    assert not verify_password("correct horse\n", clerk["password_hash"])
    assert "correct horse" not in result.stdout + result.stderr
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:add'") == 1


async def test_an_existing_id_is_refused_and_its_password_kept(renkei: Renkei, db: asyncpg.Pool) -> None:
    assert renkei(*ADD_CLERK, stdin="first password\n").returncode == 0

    again = renkei(*ADD_CLERK, stdin="second password\n")

    assert again.returncode == 1
    assert "exists already" in again.stderr and "staff console" in again.stderr
    stored = await db.fetchval("SELECT password_hash FROM staff WHERE staff_id = 'tanaka.k'")
    assert verify_password("first password", stored)


async def test_a_short_or_empty_password_is_refused(renkei: Renkei, db: asyncpg.Pool) -> None:
    short = renkei(*ADD_CLERK, stdin="7-chars\n")
    empty = renkei(*ADD_CLERK, stdin="")
    short_for_production = renkei(*ADD_CLERK, stdin="eleven-char\n", env=PRODUCTION)

    assert short.returncode == 1 and "at least 8 characters in development" in short.stderr
    assert empty.returncode == 1 and "the password is empty" in empty.stderr
    assert short_for_production.returncode == 1 and "at least 12 characters in production" in short_for_production.stderr
    assert await db.fetchval("SELECT count(*) FROM staff") == 0


async def test_a_branch_code_that_is_not_three_digits_is_refused(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("staff", "add", "--id", "tanaka.k", "--branch", "11", "--role", "branch", "--password-stdin",
                    stdin="long enough password\n")

    assert result.returncode == 2 and "--branch" in result.stderr
    assert await db.fetchval("SELECT count(*) FROM staff") == 0


async def test_a_supervisor_is_added_for_their_branch_and_may_approve_unlocks(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("staff", "add", "--id", "suzuki.sv", "--branch", "011", "--role", "supervisor", "--password-stdin",
                    stdin="correct horse\n")

    assert result.returncode == 0, result.stderr
    assert "supervisor, branch 011" in result.stdout
    supervisor = await db.fetchrow("SELECT * FROM staff WHERE staff_id = 'suzuki.sv'")
    assert (supervisor["branch_code"], supervisor["role"]) == ("011", "supervisor")
