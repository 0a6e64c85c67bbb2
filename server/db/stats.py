"""Named queries behind head office's figures (contract §12): three statements for any range of days.

Everything is read from the operation log, which is never pruned (flows and
calls are, after their retention), so a month-old day gives the same figures
as on the day itself, whichever process answers. A flow belongs to the branch
of the account typed on screen ①: its first ``flow:account:*`` line naming one.
``branch`` None means every branch (head office); lines with no branch (a
flow that never reached ①, a call neither matched to a check nor late for
one) count for head office only.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool

# The flow and call lines of [$1, $2), each with its Tokyo day and hour and its flow's branch.
_SCOPED_LINES = """
    WITH raw AS (
        SELECT id, at, event, reason_code, client_id, flow_id, branch_code, detail->>'result' AS call_result
          FROM operation_log
         WHERE at >= $1 AND at < $2 AND (event LIKE 'flow:%' OR event = 'ivr:call')),
    flow_branch AS (
        SELECT DISTINCT ON (flow_id) flow_id, branch_code
          FROM operation_log
         WHERE flow_id IN (SELECT flow_id FROM raw WHERE flow_id IS NOT NULL)
           AND event LIKE 'flow:account:%' AND branch_code IS NOT NULL
         ORDER BY flow_id, id)
    SELECT raw.*, (raw.at AT TIME ZONE 'Asia/Tokyo')::date AS day,
           extract(hour FROM raw.at AT TIME ZONE 'Asia/Tokyo')::int AS hour,
           COALESCE(fb.branch_code, raw.branch_code) AS flow_branch
      FROM raw LEFT JOIN flow_branch fb USING (flow_id)
"""


async def line_counts(conn: Conn, start: datetime, end: datetime, branch: str | None) -> list[asyncpg.Record]:
    """Per Tokyo day, app, event, reason code and call result (with the hour for calls): lines and distinct flows."""
    return await conn.fetch(
        f"""WITH scoped AS ({_SCOPED_LINES})
            SELECT day, client_id, event, reason_code, call_result,
                   CASE WHEN event = 'ivr:call' THEN hour END AS hour,
                   count(*)::int AS lines, count(DISTINCT flow_id)::int AS flows
              FROM scoped
             WHERE $3::text IS NULL OR flow_branch = $3
             GROUP BY 1, 2, 3, 4, 5, 6""",
        start, end, branch,
    )


async def durations(conn: Conn, start: datetime, end: datetime, branch: str | None) -> list[asyncpg.Record]:
    """Median and 90th percentile of the seconds from /authorize to approval, per Tokyo day of approval and overall (day NULL)."""
    return await conn.fetch(
        f"""WITH scoped AS ({_SCOPED_LINES}),
            took AS (
                SELECT a.day, extract(epoch FROM a.at - s.at)::float8 AS seconds
                  FROM scoped a
                  JOIN operation_log s ON s.flow_id = a.flow_id AND s.event = 'flow:authorize:start'
                 WHERE a.event = 'flow:consent:approve' AND ($3::text IS NULL OR a.flow_branch = $3))
            SELECT day, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90
              FROM took GROUP BY GROUPING SETS ((day), ())""",
        start, end, branch,
    )


# A grant is live from its consent until the first instant at which the token endpoint stops using it
# (server.oauth.grants.lifetime, server.db.clients.get_client): its code expiring unexchanged (the app
# then holds nothing to use it with), its revocation, its end, its idle end, its account closed or moved,
# its app disabled. A grant is used only while live, so the idle end of its newest use (last_used_at) is
# its idle end at every earlier instant too. $4: branch, $5: idle days, $6: sandbox apps served, $7: a
# code's seconds.
_LIVE_SPANS = """
    SELECT g.client_id, g.authenticated_at AS live_from,
           least(CASE WHEN g.exchanged_at IS NULL THEN g.authenticated_at + $7::int * interval '1 second' END,
                 g.revoked_at, g.expires_at, g.last_used_at + $5::int * interval '1 day', c.disabled_at,
                 CASE WHEN a.status <> 'active' AND g.revoked_reason IS DISTINCT FROM 'account_moved' THEN a.imported_at END)
               AS live_until
      FROM oauth_grant g JOIN account a ON a.id = g.account_id JOIN oauth_client c ON c.client_id = g.client_id
     WHERE ($4::text IS NULL OR a.branch_code = $4) AND ($6::boolean OR c.kind <> 'app' OR c.profile <> 'sandbox')
"""


async def live_links(conn: Conn, first: date, last: date, now: datetime, branch: str | None, *,
                     idle_days: int, sandbox_apps: bool, code_seconds: int) -> list[asyncpg.Record]:
    """Per Tokyo day and app: the links (grants) in force at the end of that day, or at ``now`` for a day not over.

    Exact for the code's exchange (a code lives ``code_seconds``), revocation, the grant's end and
    its idle limit (``idle_days``; both as configured now). Two facts are known only as they stand
    now: an account closed or moved by an import counts as unusable from that import on (its
    imported_at; a move by ``renkei accounts move`` revokes the grants, so it is exact), and an app
    counts as disabled from its current disabling on (one disabled and enabled again earlier counts
    as live through that time).
    """
    return await conn.fetch(
        f"""WITH span AS ({_LIVE_SPANS}),
            lived AS (SELECT * FROM span WHERE live_from < live_until AND live_from < $3),
            -- Live at a day's end t (now, today) ⇔ live_from < t < live_until: +1 on live_from's day, -1 on the
            -- day whose end first reaches live_until (if that was by now), summed up to each day. One pass
            -- over the grants, not one per day.
            change AS (
                SELECT client_id, (live_from AT TIME ZONE 'Asia/Tokyo')::date AS day, 1 AS delta FROM lived
                UNION ALL
                SELECT client_id, ((live_until - interval '1 microsecond') AT TIME ZONE 'Asia/Tokyo')::date, -1
                  FROM lived WHERE live_until <= $3),
            daily AS (SELECT client_id, day, sum(delta)::int AS delta FROM change GROUP BY 1, 2)
            SELECT d.day::date AS day, apps.client_id, sum(x.delta)::int AS links
              FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
              CROSS JOIN (SELECT DISTINCT client_id FROM daily) AS apps
              JOIN daily x ON x.client_id = apps.client_id AND x.day <= d.day
             GROUP BY 1, 2 HAVING sum(x.delta) > 0""",
        first, last, now, branch, idle_days, sandbox_apps, code_seconds,
    )


async def app_names(conn: Conn) -> dict[str, str]:
    rows = await conn.fetch("SELECT client_id, name FROM oauth_client WHERE kind = 'app'")
    return {row["client_id"]: row["name"] for row in rows}
