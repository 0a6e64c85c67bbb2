"""``/``: where a newcomer starts in development; nothing about the installation in production."""

from __future__ import annotations

from dataclasses import replace

import httpx

from server import demo
from tests.conftest import build_test_settings


async def test_the_front_page_in_development_links_the_demo_app_the_staff_console_the_metadata_and_the_docs(client, db, clock):
    async with db.acquire() as conn:
        await demo.seed_clients(conn, clock.now(), "http://127.0.0.1:9090")
    page = await client.get("/")
    assert page.status_code == 200
    for link in ('href="http://127.0.0.1:9090/"', 'href="/staff"', 'href="/.well-known/oauth-authorization-server"',
                 "docs/INTEGRATION.md", "hq-admin", "branch001", "demo-password", "001 普通 1234567"):
        assert link in page.text, link


async def test_the_front_page_asks_for_the_demo_data_when_there_is_none(client):
    page = await client.get("/")
    assert page.status_code == 200 and "renkei seed-demo" in page.text


async def test_the_front_page_in_production_is_a_plain_not_found(start_server, database_url, db, clock):
    async with db.acquire() as conn:
        await demo.seed_clients(conn, clock.now())
    server = await start_server(replace(build_test_settings(database_url), env="production"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/")
    assert page.status_code == 404
    for telltale in ("Renkei", "/staff", "8080", "seed-demo", "well-known", "demo"):
        assert telltale not in page.text, telltale
