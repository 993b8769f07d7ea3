"""Query analytics: what people search and ask, how fast it answers, what finds nothing.

Every search and question a surface runs is stored in the catalog's ``queries`` table (time,
user, action, text, intent, latency, hit count, the first result or the cited files, filters,
surface, feedback). :func:`summarise` turns them into what ``modelhub stats`` prints.
"""

from __future__ import annotations

import getpass
import os
from collections import Counter
from typing import Any

import numpy as np

from .store import QueryRow


def current_user() -> str:
    """Who is asking: ``$MODELHUB_USER``, else the login name."""
    try:
        return os.environ.get("MODELHUB_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 of ``values`` (ms), rounded to 0.1; zeros when there are none."""
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return {"p50": round(float(p50), 1), "p95": round(float(p95), 1)}


def summarise(rows: list[QueryRow], top: int = 10) -> dict[str, Any]:
    """Counts, latency percentiles per action, intents, zero-result and frequent queries, feedback."""
    by_action: dict[str, list[float]] = {}
    for row in rows:
        by_action.setdefault(row.action, []).append(row.latency_ms)
    texts = Counter(row.text.strip().lower() for row in rows)
    zero = Counter(row.text.strip().lower() for row in rows if row.hits == 0)
    feedback = Counter(row.feedback for row in rows if row.feedback)
    return {
        "queries": len(rows),
        "by_action": {action: len(v) for action, v in sorted(by_action.items())},
        "latency_ms": {action: percentiles(v) for action, v in sorted(by_action.items())},
        "intents": dict(Counter(row.intent for row in rows if row.intent).most_common()),
        "users": len({row.user for row in rows}),
        "surfaces": dict(Counter(row.surface for row in rows).most_common()),
        "zero_results": [{"text": t, "count": c} for t, c in zero.most_common(top)],
        "top_queries": [{"text": t, "count": c} for t, c in texts.most_common(top)],
        "feedback": {"up": feedback.get(1, 0), "down": feedback.get(-1, 0)},
        "clicked": sum(1 for row in rows if row.clicked),
    }


def stats_lines(stats: dict[str, Any]) -> list[str]:
    """``modelhub stats`` as text: a title, then ``label: value`` lines."""
    days = stats.get("since_days")
    lines = [f"modelhub stats ({f'last {days:g} days' if days else 'all time'}): {stats['queries']} queries"]
    for action, count in stats["by_action"].items():
        lat = stats["latency_ms"][action]
        lines.append(f"  {action}: {count}, latency p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms")
    if stats["intents"]:
        lines.append("  intents: " + ", ".join(f"{k} {v}" for k, v in stats["intents"].items()))
    if stats["zero_results"]:
        lines.append(
            "  no results: " + "; ".join(f"{z['text']!r} ×{z['count']}" for z in stats["zero_results"])
        )
    if stats["top_queries"]:
        lines.append(
            "  most asked: " + "; ".join(f"{z['text']!r} ×{z['count']}" for z in stats["top_queries"][:5])
        )
    fb = stats["feedback"]
    lines.append(f"  feedback: {fb['up']} up, {fb['down']} down; results opened: {stats['clicked']}")
    if stats.get("problems_yaml"):
        lines.append(f"  problem queries: {stats['problems']} written to {stats['problems_yaml']}")
    return lines
