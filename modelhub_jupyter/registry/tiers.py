"""Which tier a user acts with: a mapping of users and groups to tiers in ``$MODELHUB_HOME/registry.yaml``.

::

    tiers:
      default: lite              # anyone the file does not name (default: professional)
      users: {alice: professional, bob: standard}
      groups: {ml-team: professional, interns: lite}

A user named under ``users`` has that tier; otherwise the highest tier of their groups (the
``--group``/``$MODELHUB_GROUPS`` of the access policies); otherwise ``default``. ``$MODELHUB_TIER``
(or ``tier=``) can lower that tier for a session but never raise it above the file's. Without the
file, ``$MODELHUB_TIER`` alone decides (default professional: the store's owner). A file that cannot
be read gives the lowest tier, and every denial names the file and its problem.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import one_line

TIERS = ("lite", "standard", "professional")
FILE = "registry.yaml"
MAX_BYTES = 1_000_000


@dataclass
class TierPolicy:
    """The ``tiers:`` section of ``registry.yaml`` (``error``: why the file could not be used)."""

    source: str
    default: str = "professional"
    users: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def _tier(value: object, where: str) -> str:
    text = str(value).strip().lower()
    if text not in TIERS:
        raise ValueError(f"{where}: unknown tier {value!r} (use {', '.join(TIERS)})")
    return text


def load_policy(home: Path | None) -> TierPolicy | None:
    """The tier mapping of ``home``'s ``registry.yaml``; None when there is no file or no ``tiers:``."""
    if home is None:
        return None
    path = Path(home) / FILE
    if not path.is_file():
        return None
    policy = TierPolicy(str(path))
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES:,} bytes")
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("not a mapping")
        tiers = data.get("tiers")
        if tiers is None:
            return None
        if not isinstance(tiers, dict):
            raise ValueError("'tiers' is not a mapping")
        if "default" in tiers:
            policy.default = _tier(tiers["default"], "tiers.default")
        for key in ("users", "groups"):
            entries = tiers.get(key) or {}
            if not isinstance(entries, dict):
                raise ValueError(f"tiers.{key} is not a mapping of names to tiers")
            setattr(policy, key, {str(k): _tier(v, f"tiers.{key}.{k}") for k, v in entries.items()})
    except Exception as err:  # noqa: BLE001 - YAML errors, bad values: the file's one-line problem
        return TierPolicy(str(path), default="lite", error=one_line(err, strip=(path,)))
    return policy


def resolve_tier(
    user: str | None, groups: Iterable[str], home: Path | None, explicit: str | None = None
) -> tuple[str, str]:
    """``(tier, why)`` for ``user`` in ``groups``; ``explicit`` (or ``$MODELHUB_TIER``) may only lower it."""
    from .versions import check_tier

    asked = explicit or (os.environ.get("MODELHUB_TIER", "").strip() or None)
    if asked is not None:
        check_tier(asked)
    policy = load_policy(home)
    if policy is None:
        if asked is None:
            return "professional", "the store's owner: no tiers in registry.yaml"
        return asked, "set for this session" if explicit else "$MODELHUB_TIER"
    if policy.error:
        return "lite", f"{policy.source} cannot be used ({policy.error}), so the lowest tier applies"
    name = user or ""
    if name in policy.users:
        tier, why = policy.users[name], f"user {name} in {policy.source}"
    else:
        mapped = [(TIERS.index(policy.groups[g]), g) for g in groups if g in policy.groups]
        if mapped:
            best, group = max(mapped)
            tier, why = TIERS[best], f"group {group} in {policy.source}"
        else:
            tier, why = policy.default, f"the default tier of {policy.source}"
    if asked is not None and TIERS.index(asked) < TIERS.index(tier):
        return asked, f"lowered to {asked} for this session (up to {tier}: {why})"
    return tier, why
