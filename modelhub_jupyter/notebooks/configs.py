"""A template's ``config`` parameter (a YAML or JSON file of parameter values), applied at render time.

``modelhub notebook train_model -p config=configs/tiny.yaml -p epochs=3``: the file is read where the
command runs (a relative path is the caller's, not the notebook's folder), its values become the
notebook's parameters, and a parameter given on the command line wins over the file. The values
travel inside the notebook, so it needs no file on Colab; the file's sha256 goes into the manifest's
inputs. A file that is missing, too large, not a mapping or names a parameter the template does not
take is a one-line error naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BadInputError
from . import manifest as manifests

MAX_CONFIG = 1024 * 1024  # bytes: a parameter file is small
RESERVED = {"config", "home", "snapshot_json"}  # never set from a config file


def apply_config(template: str, given: dict[str, Any], typed: dict[str, Any],
                 declared: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str], str | None]:  # fmt: skip
    """``(parameters, inputs)``: the file's values under the given ones, and ``config`` emptied (the
    values are in the notebook already: its own config cell must not read the file again);
    ``inputs`` is ``{"config": sha256}``; then the file's absolute path (None without a file)."""
    from .templates import check_params

    named = str(typed.get("config") or "").strip()
    if "config" not in declared or not named:
        return typed, {}, None
    path = Path(named).expanduser().resolve()
    try:
        if path.stat().st_size > MAX_CONFIG:
            raise BadInputError(
                f"{path}: too large for a parameter file (over {MAX_CONFIG} bytes)", path=str(path)
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(
            f"{path}: no such config file (parameter config of {template})", path=str(path)
        ) from None
    except OSError as err:
        raise BadInputError(f"{path}: cannot read ({err.strerror or err})", path=str(path)) from None
    values = _parse(path, raw)
    unknown = sorted(set(values) - (set(declared) - RESERVED))
    if unknown:
        takes = ", ".join(sorted(set(declared) - RESERVED))
        raise BadInputError(f"{path}: {template} takes no parameter {', '.join(unknown)} (it takes {takes})",
                            path=str(path))  # fmt: skip
    from_file = {
        k: v if isinstance(v, bool | int | float) else str(v) for k, v in values.items() if k not in given
    }
    try:
        merged = {**typed, **check_params(template, from_file), "config": ""}
    except BadInputError as err:
        raise BadInputError(f"{path}: {err.message}", path=str(path)) from None
    return merged, {"config": manifests.sha256_bytes(raw)}, str(path)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    import yaml

    try:
        values = yaml.safe_load(raw.decode("utf-8"))  # JSON is YAML
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BadInputError(f"{path}: not a YAML or JSON file ({first})", path=str(path)) from None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise BadInputError(f"{path}: expected a mapping of parameter: value", path=str(path))
    bad = sorted(k for k, v in values.items() if isinstance(v, dict | list))
    if bad:
        raise BadInputError(
            f"{path}: {', '.join(bad)} must be a plain value, not a list or mapping", path=str(path)
        )
    return values
