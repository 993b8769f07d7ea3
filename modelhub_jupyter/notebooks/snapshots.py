"""What each template needs from the store, as a JSON snapshot that travels inside the notebook."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..compare.models import collect
from ..compare.resolve import resolve

if TYPE_CHECKING:
    from ..hub import Hub

IMAGE_KEYS = ("prompt", "negative_prompt", "num_inference_steps", "guidance_scale", "seed", "sampler",
              "source_model_id", "model_checkpoint", "format", "style_tags", "clip_score")  # fmt: skip


def _names(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def model_analysis(hub: Hub, params: dict[str, Any]) -> dict[str, Any]:
    """The model and, when it has one in the index, its predecessor (first), to compare with."""
    model = resolve(hub.catalog, str(params["model"]), lambda m: hub.viewer_can_see(m.get("access_control")))
    names = [model.path]
    for pred in model.metadata.get("predecessor_models") or []:
        try:
            names.insert(0, resolve(hub.catalog, str(pred)).path)
            break
        except Exception:  # noqa: BLE001 - a predecessor outside the index is only named
            continue
    return collect(hub, names, minimum=1)


def compare_models(hub: Hub, params: dict[str, Any]) -> dict[str, Any]:
    return collect(hub, _names(params.get("models")))


def benchmark_versions(hub: Hub, params: dict[str, Any]) -> dict[str, Any]:
    """Every indexed model of the family (or the listed models), oldest version first."""
    names = _names(params.get("models"))
    if not names and params.get("family"):
        rows = hub.catalog.db.execute(
            "SELECT DISTINCT json_extract(metadata, '$.model_id') FROM documents "
            "WHERE lower(json_extract(metadata, '$.model_family')) = lower(?)",
            (str(params["family"]),),
        ).fetchall()
        names = [str(r[0]) for r in rows if r[0]][:4]
    if not names:
        return {"models": [], "edges": [], "dates": {}, "images": {}}
    return collect(hub, names, minimum=1)


def image_set_report(hub: Hub, params: dict[str, Any]) -> dict[str, Any]:
    where = _names(params.get("where"))
    limit = int(params.get("limit") or 200)
    query = str(params.get("query") or "").strip()
    results = (
        hub.search(query, kind="image", where=where, limit=limit, record=False)
        if query
        else hub.browse("image", where=where, limit=limit)
    )
    images = [
        {"id": h.id, "path": h.path, **{k: h.metadata.get(k) for k in IMAGE_KEYS},
         "width": (h.metadata.get("resolution") or {}).get("width"),
         "height": (h.metadata.get("resolution") or {}).get("height")}
        for h in results.hits
    ]  # fmt: skip
    return {"images": json.loads(json.dumps(images, default=str)), "query": query, "where": where}


BUILDERS = {
    "model_analysis": model_analysis,
    "compare_models": compare_models,
    "benchmark_versions": benchmark_versions,
    "image_set_report": image_set_report,
}
