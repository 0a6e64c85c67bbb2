"""Fuzzing every JSON endpoint against its OpenAPI description (/openapi.json) with schemathesis.

The schema is read from the running server; for each operation schemathesis
generates requests that fit it and requests that do not, sent with an app's,
a resource server's or a head-office clerk's credentials. Whatever arrives,
the answer is never a 5xx, its status and content type are documented, and
its body matches the schema. Examples are bounded and derandomized (the same
requests every run) so the suite stays fast and repeatable.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis.errors import Unsatisfiable
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.staff.conftest import Console

# Per operation and generation mode; RENKEI_FUZZ_EXAMPLES=1000 explores further (and slower) by hand.
EXAMPLES_PER_MODE = int(os.environ.get("RENKEI_FUZZ_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ACCOUNT = "001-1-1234567"


@dataclass
class Credentials:
    app_basic: tuple[str, str]
    resource_server_basic: tuple[str, str]
    staff_cookie: str
    staff_csrf: str


@dataclass
class Outcome:
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def _auth_for(path: str, credentials: Credentials) -> dict:
    """What the fixed part of each request is: credentials that pass, so the handlers behind them are reached."""
    if path.startswith("/staff/api/"):
        return {"headers": {"X-CSRF-Token": credentials.staff_csrf}, "cookies": {"renkei_staff": credentials.staff_cookie}}
    if path == "/introspect":
        return {"auth": credentials.resource_server_basic}
    if path in ("/par", "/token", "/revoke"):
        return {"auth": credentials.app_basic}
    return {}


def _fuzz_operation(operation, base_url: str, credentials: Credentials, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
    fixed = _auth_for(operation.path, credentials)
    with requests.Session() as session:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_mode(operation, mode, base_url, fixed, session, outcome)


def _fuzz_mode(operation, mode: GenerationMode, base_url: str, fixed: dict, session: requests.Session,  # type: ignore[no-untyped-def]
               outcome: Outcome) -> None:
    path_parameters = {"key": ACCOUNT} if "{key}" in operation.path and mode is GenerationMode.POSITIVE else None

    @hypothesis_settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None, derandomize=True,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, headers=fixed.get("headers"), path_parameters=path_parameters))
    def one_request(case) -> None:  # type: ignore[no-untyped-def]
        outcome.requests += 1
        response = case.call(base_url=base_url, session=session, auth=fixed.get("auth"), cookies=fixed.get("cookies"),
                             timeout=15)
        case.validate_response(response, checks=CHECKS)

    try:
        one_request()
    except Unsatisfiable:  # nothing can be sent that breaks the schema (no parameters): nothing to do
        return
    except Exception as failure:  # every operation is fuzzed; all failures are reported together
        outcome.failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}")


def _fuzz_everything(base_url: str, credentials: Credentials) -> Outcome:
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    outcome = Outcome()
    for result in schema.get_all_operations():
        _fuzz_operation(result.ok(), base_url, credentials, outcome)
    return outcome


@pytest.fixture
async def credentials(server, db, clock, open_console) -> Credentials:  # type: ignore[no-untyped-def]
    app = await add_sandbox_app(db, clock.now())
    resource_server = await add_resource_server(db, clock.now())
    await add_account(db, clock.now())
    console: Console = await open_console("hq-fuzz", branch_code="000", role="hq")
    return Credentials(app.basic, resource_server.basic, console.http.cookies["renkei_staff"], console.csrf)


async def test_no_request_to_any_json_endpoint_gets_a_server_error_or_an_undocumented_answer(server, credentials, capsys):
    outcome = await asyncio.to_thread(_fuzz_everything, server.url, credentials)
    with capsys.disabled():
        print(f"\nschemathesis: {outcome.requests} requests to {server.url}")
    assert outcome.requests >= 20 * EXAMPLES_PER_MODE
    assert not outcome.failures, "\n\n".join(outcome.failures)
