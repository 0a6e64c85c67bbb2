"""``GET /``: in development, where a newcomer starts (what Renkei is, the demo app, the staff
console, the metadata, the docs); in production, a plain "page not found" that says nothing
about the installation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server import demo
from server.db import clients
from server.web.database import connection
from server.web.pages import Notice, notice_page, settings_of
from server.web.templates import render


async def front_page(request: Request) -> Response:
    settings = settings_of(request)
    if settings.production:
        return notice_page(request, Notice.NOT_FOUND, status=404)
    async with connection(request.app.state.runtime) as conn:
        demo_app = await clients.get_client(conn, demo.DEMO_CLIENT_ID)
    # The demo app's address as seed-demo registered it (scripts/serve --demo-port): its last redirect URI.
    app_url = demo_app["redirect_uris"][-1].removesuffix("/callback") + "/" if demo_app else None
    return render(settings, "front.html", lang="ja", app_url=app_url, issuer=settings.issuer,
                  customers=DEMO_CUSTOMERS, staff=demo.DEMO_STAFF, staff_password=demo.DEMO_STAFF_PASSWORD)


# Contract §9, as a newcomer types them on the bank's screens (published demo data, development only).
DEMO_CUSTOMERS = (
    ("001", "普通", "1234567", "1980-04-01", "090-1234-5678", "1234", "連携できます"),
    ("001", "貯蓄", "7654321", "1975-12-31", "080-2222-3333", "4321", "電話番号が二つ"),
    ("002", "普通", "2222222", "1990-01-15", "070-3333-4444", "1111", "キャッシュカードなし (B81)"),
    ("011", "普通", "1111111", "1985-06-30", "090-5555-6666", "2580", "移管済み (B89)"),
    ("022", "普通", "2222222", "1985-06-30", "090-5555-6666", "2580", "移管先: 連携できます"),
)

routes = [Route("/", front_page, methods=["GET"])]
