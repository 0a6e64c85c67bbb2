"""The ASGI application for `renkei serve` workers and any ASGI server."""

from __future__ import annotations

from server.app import create_app
from server.logs import configure_logging, level_number
from server.settings import load_settings

settings = load_settings()
configure_logging(json_lines=settings.production, level=level_number(settings.log_level))
app = create_app(settings, drain_on_signals=True)
