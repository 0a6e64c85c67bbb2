"""`python -m demo`: the demo app and the demo bank API, beside a running Renkei (scripts/serve starts it).

One uvicorn server listens on both ports; each request goes to the app of the port it came in on.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import click
import httpx
import uvicorn

from demo.bank_api.app import create_bank_api
from demo.fintech_app.app import create_demo_app
from demo.fintech_app.fapi2_client import Client
from demo.fintech_app.keys import load_or_create_key
from server.demo import DEMO_BANK_API_ID, DEMO_BANK_API_SECRET, DEMO_CLIENT_ID, DEMO_SCOPES
from server.settings import PROJECT_ROOT

KEY_FILE = PROJECT_ROOT / "var" / "demo-fintech" / "client-key.json"


def listening(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


@click.command()
@click.option("--issuer", default="http://127.0.0.1:8000", show_default=True, help="Renkei's public URL (RENKEI_PUBLIC_URL).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--app-port", default=8080, show_default=True, type=int, help="The demo app (its redirect URI's port).")
@click.option("--bank-port", default=8081, show_default=True, type=int, help="The demo bank API.")
@click.option("--bank-mode", type=click.Choice(["introspection", "jwt"]), default="introspection", show_default=True)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=KEY_FILE, show_default=True)
def main(issuer: str, host: str, app_port: int, bank_port: int, bank_mode: str, key_file: Path) -> None:
    """Serve the demo fintech app and the demo bank API (development only: published secrets)."""
    app_url, bank_url = f"http://{host}:{app_port}", f"http://{host}:{bank_port}"
    http = httpx.AsyncClient(timeout=15)
    client = Client(DEMO_CLIENT_ID, app_url + "/callback", " ".join(DEMO_SCOPES), load_or_create_key(key_file), http)
    apps = {app_port: create_demo_app(client, issuer=issuer, bank_api_url=bank_url),
            bank_port: create_bank_api(issuer=issuer, public_url=bank_url, credentials=(DEMO_BANK_API_ID, DEMO_BANK_API_SECRET),
                                       mode=bank_mode, http=http)}

    async def by_port(scope, receive, send):  # type: ignore[no-untyped-def]
        await apps[scope["server"][1]](scope, receive, send)

    click.echo(f"demo app: {app_url}/   demo bank API: {bank_url}/accounts/me   (Renkei: {issuer})")
    server = uvicorn.Server(uvicorn.Config(by_port, lifespan="off", log_level="warning", server_header=False))
    asyncio.run(server.serve(sockets=[listening(host, app_port), listening(host, bank_port)]))


if __name__ == "__main__":
    main()
