"""The ``jupyter_server`` extension: authenticated REST routes under ``/modelhub/api/`` and
Prometheus metrics at ``/modelhub/metrics``, for the JupyterLab extension (``labextension/``).

``pip install modelhub-jupyter`` enables it (``etc/jupyter/jupyter_server_config.d/modelhub_jupyter.json``);
``jupyter server extension list`` shows it as ``modelhub_jupyter.server``.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import ModelHubServer

    return [{"module": "modelhub_jupyter.server", "app": ModelHubServer}]
