"""Who is looking: a :class:`Viewer` and whether a document's ``access_control`` lets them see it.

A document with no ``access_control`` (or ``view_permissions`` naming ``public``) is visible to
everyone; otherwise to its owner, the users named in ``view_permissions`` and the members of the
groups named there. ``Viewer.everyone()`` (no user given) is the store's owner and sees all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PUBLIC = "public"


@dataclass(frozen=True)
class Viewer:
    """A user and their groups; ``user=None`` is unrestricted (the store's owner)."""

    user: str | None = None
    groups: frozenset[str] = frozenset()

    @property
    def restricted(self) -> bool:
        return self.user is not None

    @classmethod
    def of(cls, user: str | None = None, groups: Iterable[str] | None = None) -> Viewer:
        """The viewer ``user``/``groups`` name, defaulting to ``$MODELHUB_USER`` / ``$MODELHUB_GROUPS``
        (comma-separated); with neither, unrestricted."""
        user = user if user is not None else (os.environ.get("MODELHUB_USER") or None)
        if groups is None:
            groups = [g for g in os.environ.get("MODELHUB_GROUPS", "").split(",") if g.strip()]
        return cls(user.strip() if user else None, frozenset(g.strip() for g in groups if g.strip()))

    def with_memberships(self, memberships: Mapping[str, Iterable[str]]) -> Viewer:
        """This viewer plus the groups ``memberships`` (group -> users) put them in."""
        if self.user is None:
            return self
        extra = {group for group, members in memberships.items() if self.user in members}
        return Viewer(self.user, self.groups | extra) if extra - self.groups else self

    def can_view(self, access: Any) -> bool:
        """Whether a document whose ``access_control`` is ``access`` is visible to this viewer."""
        if self.user is None or not isinstance(access, dict) or not access:
            return True
        allowed = access.get("view_permissions") or []
        allowed = allowed if isinstance(allowed, list) else [allowed]
        names = {str(a) for a in allowed}
        return (
            PUBLIC in names
            or self.user == access.get("owner")
            or self.user in names
            or bool(self.groups & names)
        )

    def __str__(self) -> str:
        if self.user is None:
            return "everyone"
        return self.user + (f" ({', '.join(sorted(self.groups))})" if self.groups else "")
