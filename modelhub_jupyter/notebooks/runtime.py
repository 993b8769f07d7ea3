"""Helpers the generated notebooks call (in a local kernel or on Colab): snapshot loading, tables, figures.

Imported inside notebooks only; plotly and pandas are imported when used.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from ..compare.models import Comparison, compare_snapshot, flatten
from ..compare.resolve import ModelDocs

if TYPE_CHECKING:
    import pandas as pd


def in_colab() -> bool:
    return "google.colab" in sys.modules


def setup_plotly() -> None:
    """Figures that show in JupyterLab, in nbconvert's HTML and on Colab, and keep their data in the notebook."""
    import plotly.io as pio

    pio.renderers.default = "colab" if in_colab() else "plotly_mimetype+notebook_connected"


def load(snapshot_json: str, home: str = "", template: str = "", **params: Any) -> dict[str, Any]:
    """The notebook's data: the snapshot that travels with it, else read now from the store at ``home``."""
    if snapshot_json.strip():
        data: dict[str, Any] = json.loads(snapshot_json)
        return data
    if not home:
        raise RuntimeError(
            "this notebook has no snapshot and no `home` store to read: set the home parameter"
        )
    from ..hub import Hub
    from .snapshots import BUILDERS

    with Hub(home) as hub:
        return BUILDERS[template](hub, params)


def version_order(meta: dict[str, Any]) -> tuple[tuple[int, ...], str, str]:
    """Sort key of a model's metadata: the numbers in its version (v2 before v10), then its date."""
    import re

    version = str(meta.get("version") or "")
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:8])
    return numbers, version, str(meta.get("creation_date") or "")


def comparison(snapshot: dict[str, Any], minimum: int = 2) -> Comparison:
    return compare_snapshot(snapshot, minimum=minimum)


def profile_frame(model: ModelDocs | dict[str, Any]) -> pd.DataFrame:
    """One model's metadata as a two-column table (dotted keys)."""
    import pandas as pd

    docs = model if isinstance(model, ModelDocs) else ModelDocs.from_dict(model)
    flat = flatten(docs.metadata)
    return pd.DataFrame(
        {"value": [", ".join(map(str, v)) if isinstance(v, list) else v for v in flat.values()]},
        index=pd.Index(list(flat), name="field"),
    ).astype(str)


def structure_frame(structure: dict[str, Any]) -> pd.DataFrame:
    """The classes of a model file: bases, layers and hyperparameters."""
    import pandas as pd

    rows = [
        {"class": name, "bases": ", ".join(info["bases"]), "layers": len(info["layers"]),
         "layer names": ", ".join(info["layers"]),
         "hyperparameters": ", ".join(f"{k}={v}" for k, v in info["hyperparameters"].items())}
        for name, info in structure.get("classes", {}).items()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["class", "bases", "layers", "layer names", "hyperparameters"])


def images_frame(images: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(images).drop(columns=["id", "thumbnail"], errors="ignore")


def registered_versions(home: str, model_id: str) -> list[str] | None:
    """The versions of ``model_id`` registered in the store at ``home``, oldest first; None when there
    is no store to register into (no ``home``) or no registry in this installation."""
    if not home:
        return None
    try:
        from ..registry import Registry  # noqa: F401 - only whether the registry is installed
    except ImportError:
        return None
    from ..hub import Hub

    with Hub(home) as hub:
        return [v.version for v in hub.models.store.versions(model_id)]


def register(home: str, model_id: str, folder: str, *, version: str, parent: str | None,
             metrics: dict[str, Any], config: dict[str, Any], data_sha256: str) -> Any:  # fmt: skip
    """Register ``folder`` as ``version`` of ``model_id`` (registry, store at ``home``) with its metrics and lineage."""
    from ..hub import Hub
    from ..registry import register_version

    with Hub(home) as hub:
        return register_version(hub, model_id, folder, version=version, metrics=metrics, parent=parent,
                                source="train_model notebook",
                                inference_config={"config": config, "data_sha256": data_sha256})  # fmt: skip
