"""Latency figures as the report shows them."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def summarize(seconds: list[float]) -> dict[str, float]:
    """Count, median and p99 in milliseconds."""
    return {"count": len(seconds), "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
            "p99_ms": round(percentile(seconds, 0.99) * 1000, 2)}
