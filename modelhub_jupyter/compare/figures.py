"""Plotly figures of a comparison: the lineage timeline and the metrics side by side.

plotly is imported here only, when a figure is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .models import Comparison


def lineage_figure(comparison: Comparison) -> go.Figure:
    """Each model of the lineage at its git date (first commit), arrows from predecessor to successor."""
    import plotly.graph_objects as go

    nodes = comparison.lineage["nodes"]
    where: dict[str, tuple[Any, int]] = {}
    for i, node in enumerate(nodes):
        where[node["id"]] = (node.get("created") or node.get("modified"), i)
    fig = go.Figure()
    for edge in comparison.lineage["edges"]:
        (x0, y0), (x1, y1) = where.get(edge["source"], (None, 0)), where.get(edge["target"], (None, 0))
        if x0 and x1:
            fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=3, arrowcolor="#888")  # fmt: skip
    dated = [n for n in nodes if n.get("created") or n.get("modified")]
    fig.add_trace(
        go.Scatter(
            x=[n.get("created") or n.get("modified") for n in dated],
            y=[where[n["id"]][1] for n in dated],
            mode="markers+text",
            text=[n["id"] for n in dated],
            textposition="top center",
            marker={"size": [16 if n["compared"] else 10 for n in dated],
                    "color": ["#1f77b4" if n["compared"] else "#aaa" for n in dated]},
            hovertext=[f"{n['id']}: first commit {n.get('created')}, last {n.get('modified')}" for n in dated],
            name="models",
        )
    )  # fmt: skip
    undated = [n["id"] for n in nodes if not (n.get("created") or n.get("modified"))]
    title = "Lineage (git dates)" + (f"; not in the index: {', '.join(undated)}" if undated else "")
    fig.update_layout(title=title, yaxis={"visible": False}, xaxis_title="date", height=320, showlegend=False)
    return fig


def metrics_figure(
    comparison: Comparison, prefixes: tuple[str, ...] = ("performance.", "model_dimensions.")
) -> go.Figure:
    """Grouped bars of the numeric fields under ``prefixes`` (one panel per field)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = [
        r for r in comparison.rows
        if r["key"].startswith(prefixes) and any(isinstance(v, int | float) and not isinstance(v, bool) for v in r["values"])
    ]  # fmt: skip
    if not rows:
        fig = go.Figure()
        fig.update_layout(title="no numeric metrics to compare")
        return fig
    fig = make_subplots(rows=1, cols=len(rows), subplot_titles=[r["key"] for r in rows])
    for col, r in enumerate(rows, start=1):
        fig.add_trace(
            go.Bar(x=comparison.labels, y=[v if isinstance(v, int | float) else None for v in r["values"]],
                   name=r["key"], showlegend=False),
            row=1, col=col,
        )  # fmt: skip
    fig.update_layout(title="Metrics side by side", height=340)
    return fig
