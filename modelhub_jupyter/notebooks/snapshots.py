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


def registry_versions(hub: Hub, model: str, versions: list[str] | None = None) -> dict[str, Any]:
    """The registered versions of ``model`` (the listed ones, else the newest four), oldest first, as
    comparable documents: metrics under ``performance``, the training config, parent as predecessor."""
    from datetime import UTC, datetime

    from ..compare.models import MAX_MODELS
    from ..compare.resolve import ModelDocs
    from ..errors import NotFoundError

    rows = sorted(hub.models.store.versions(model), key=lambda v: v.created)
    if versions:
        missing = sorted(set(versions) - {v.version for v in rows})
        if missing:
            raise NotFoundError(f"{model} has no registered version {', '.join(missing)}")
        rows = [v for v in rows if v.version in versions]
    if not rows:
        raise NotFoundError(
            f"no registered versions of {model!r} (modelhub models list shows what is registered)"
        )
    models, dates = [], {}
    for v in rows[-MAX_MODELS:]:
        label = f"{model}@{v.version}"
        config = (v.inference_config or {}).get("config") or {}
        created = datetime.fromtimestamp(v.created, UTC).isoformat() if v.created else None
        meta = {
            "model_id": label, "version": v.version, "stage": v.stage, "creation_date": created,
            "performance": dict(v.metrics or {}), "training_config": config.get("training") or {},
            "model_dimensions": {k: config[k] for k in ("hidden_size", "num_layers") if k in config},
            "framework": {"name": config.get("framework")} if config.get("framework") else {},
            "data_sha256": (v.inference_config or {}).get("data_sha256"),
            "predecessor_models": [f"{model}@{v.parent}"] if v.parent else [],
        }  # fmt: skip
        models.append(ModelDocs(name=label, model_id=label, path=v.path, root="", kind="model",
                                doc_type="registry_version", metadata=meta).to_dict())  # fmt: skip
        dates[label] = {"created": created, "modified": created}
    return {"models": json.loads(json.dumps(models, default=str)), "edges": [], "dates": dates, "images": {}}


def benchmark_versions(hub: Hub, params: dict[str, Any]) -> dict[str, Any]:
    """The registered versions of ``registry`` (a model id), else every indexed model of the family
    (or the listed models), oldest version first."""
    if str(params.get("registry") or "").strip():
        return registry_versions(hub, str(params["registry"]).strip(), _names(params.get("models")))
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
