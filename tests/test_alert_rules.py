"""deploy/prometheus and deploy/grafana: the rules load and behave (promtool), and the dashboard shows real metrics."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx

from tests.test_metrics import families
from tests.test_metrics_operations import PROMTOOL

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES, RULE_TESTS = DEPLOY / "prometheus" / "alerts.yml", DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "renkei.json"
_METRIC = re.compile(r"\b((?:renkei|process)_[a-z0-9_]+)")
_SUFFIX = re.compile(r"_(total|bucket|count|sum)$")


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool is missing: scripts/install test installs Debian's prometheus package"
    return subprocess.run([PROMTOOL, *arguments], capture_output=True, text=True, timeout=120, cwd=RULES.parent)


def test_promtool_accepts_the_alert_rules() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_on_its_series_and_stays_quiet_on_the_others() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_tested_and_has_a_runbook() -> None:
    rules = RULES.read_text(encoding="utf-8")
    alerts = re.findall(r"- alert: (\w+)", rules)
    tests = RULE_TESTS.read_text(encoding="utf-8")
    assert len(alerts) >= 6 and all(f"alertname: {alert}" in tests for alert in alerts)
    assert rules.count("runbook: ") == len(alerts)


def dashboard_metrics() -> set[str]:
    document = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in document["panels"] for target in panel.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return {name for expr in exprs for name in _METRIC.findall(expr)}


async def test_every_metric_the_dashboard_shows_is_served_by_a_live_server(client: httpx.AsyncClient) -> None:
    served = families((await client.get("/metrics")).text)
    missing = sorted(name for name in dashboard_metrics() if name not in served and _SUFFIX.sub("", name) not in served)
    assert not missing, f"the dashboard queries metrics /metrics does not serve: {missing}"
