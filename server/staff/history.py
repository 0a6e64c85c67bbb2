"""The account's history on the console: paged, the customer's screen steps grouped per flow, apps by name.

A flow's lines (one customer's walk from /authorize to the app) read as one
block headed by the app and its operator; a staff action or a call that belongs
to no flow stands alone. Pages hold PAGE_LINES lines, newest first; a flow cut
by a page's edge continues on the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from server.db import counter
from server.staff.events import log_line

PAGE_LINES = 30
MAX_PAGE = 10_000


def read_page(text: str | None) -> int:
    """``?page=`` as a page number from 1; anything else is page 1."""
    return min(int(text), MAX_PAGE) if text and text.isascii() and text.isdigit() and int(text) >= 1 else 1


def group_by_flow(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive lines of one flow become one group; every other line is a group of its own."""
    groups: list[dict[str, Any]] = []
    for line in lines:
        flow = line.get("flow_id")
        if flow and groups and groups[-1]["flow_id"] == flow:
            groups[-1]["lines"].append(line)
            continue
        groups.append({"flow_id": flow, "app": line.get("app"), "operator": line.get("operator"), "lines": [line]})
    return groups


def with_app(row: asyncpg.Record, lang: str, _: Callable[[str], str]) -> dict[str, Any]:
    """A log line as events.log_line gives it, plus its flow and its app's name and operator."""
    return log_line(row, lang, _) | {
        "flow_id": str(row["flow_id"]) if row["flow_id"] else None,
        "app": row["client_name"], "operator": row["client_operator"],
    }


async def history_page(conn: asyncpg.Connection, account_id: int, page: int, lang: str,
                       _: Callable[[str], str]) -> dict[str, Any]:
    """``{"page", "groups", "more"}``: one page of lines, grouped, and whether an older page exists."""
    rows = await counter.account_history(conn, account_id, PAGE_LINES + 1, (page - 1) * PAGE_LINES)
    lines = [with_app(row, lang, _) for row in rows[:PAGE_LINES]]
    return {"page": page, "groups": group_by_flow(lines), "more": len(rows) > PAGE_LINES, "lines": lines}
