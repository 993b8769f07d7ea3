"""Query favorites: starred searches and questions, stored per user in the catalog (``hub.favorites``).

A favorite is an action (``search`` or ``ask``), its text and the options it ran with (``kind``,
``where``); it can be listed, removed and run again. Each user (``$MODELHUB_USER``, else the login
name) sees their own.
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import BadInputError, NotFoundError

if TYPE_CHECKING:
    from .hub import Hub

ACTIONS = ("search", "ask")
MAX_TEXT = 2_000
MAX_FAVORITES = 500  # per user: the oldest are not dropped, a new one is refused


@dataclass
class Favorite:
    """One starred search or question."""

    id: int
    user: str
    action: str  # "search" | "ask"
    text: str
    options: dict[str, Any] = field(default_factory=dict)  # kind, where
    note: str = ""
    created: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "user": self.user, "action": self.action, "text": self.text,
            "options": self.options, "note": self.note,
            "created": datetime.fromtimestamp(self.created, UTC).strftime("%Y-%m-%d %H:%M"),
        }  # fmt: skip

    def __repr__(self) -> str:
        return f"★ #{self.id} {self.action}: {self.text}"


class Favorites:
    """The favorites of one hub's catalog, per user (``hub.favorites``)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def _user(self, user: str | None) -> str:
        from .analytics import current_user

        return (user or current_user()).strip() or "unknown"

    def list(self, action: str | None = None, *, user: str | None = None) -> list[Favorite]:
        """The user's favorites, newest first (``action``: only searches or only questions)."""
        sql = "SELECT id, user, action, text, options, note, created FROM favorites WHERE user=?"
        args: list[Any] = [self._user(user)]
        if action is not None:
            args.append(_action(action))
            sql += " AND action=?"
        rows = self.hub.catalog.db.execute(sql + " ORDER BY created DESC, id DESC", args).fetchall()
        return [_favorite(r) for r in rows]

    def add(
        self,
        text: str,
        action: str = "ask",
        *,
        kind: str | None = None,
        where: builtins.list[str] | None = None,
        note: str = "",
        user: str | None = None,
    ) -> Favorite:
        """Star ``text`` (a question for ``action="ask"``, a query for ``"search"``); starring it
        again keeps one favorite (its options updated)."""
        text = " ".join(str(text or "").split())
        if not text:
            raise BadInputError("nothing to star: the search or question is empty")
        if len(text) > MAX_TEXT:
            raise BadInputError(f"the text to star is {len(text):,} characters long; at most {MAX_TEXT:,}")
        action, who = _action(action), self._user(user)
        options: dict[str, Any] = {}
        if kind and kind != "all":
            options["kind"] = str(kind)
        if where:
            options["where"] = [str(w) for w in where]
        db = self.hub.catalog.db
        count = db.execute("SELECT COUNT(*) FROM favorites WHERE user=?", (who,)).fetchone()[0]
        known = db.execute(
            "SELECT id FROM favorites WHERE user=? AND action=? AND text=?", (who, action, text)
        ).fetchone()
        if known is None and count >= MAX_FAVORITES:
            raise BadInputError(f"{who} has {count} favorites, the most kept: remove one first")
        db.execute(
            "INSERT INTO favorites (user, action, text, options, note, created) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (user, action, text) DO UPDATE SET options=excluded.options, note=excluded.note",
            (who, action, text, json.dumps(options), " ".join(str(note).split())[:200], time.time()),
        )
        return next(f for f in self.list(action, user=who) if f.text == text)

    def remove(self, favorite: int | str, action: str | None = None, *, user: str | None = None) -> bool:
        """Unstar a favorite (its id, or its text); False when the user had no such favorite."""
        who = self._user(user)
        if isinstance(favorite, int) and not isinstance(favorite, bool):
            sql, args = "DELETE FROM favorites WHERE user=? AND id=?", [who, favorite]
        else:
            sql, args = (
                "DELETE FROM favorites WHERE user=? AND text=?",
                [who, " ".join(str(favorite).split())],
            )
            if action is not None:
                sql += " AND action=?"
                args.append(_action(action))
        return self.hub.catalog.db.execute(sql, args).rowcount > 0

    def is_favorite(self, text: str, action: str = "ask", *, user: str | None = None) -> bool:
        text = " ".join(str(text or "").split())
        row = self.hub.catalog.db.execute(
            "SELECT 1 FROM favorites WHERE user=? AND action=? AND text=?",
            (self._user(user), _action(action), text),
        ).fetchone()
        return row is not None

    def get(self, favorite_id: int, *, user: str | None = None) -> Favorite:
        found = next((f for f in self.list(user=user) if f.id == int(favorite_id)), None)
        if found is None:
            raise NotFoundError(f"no favorite #{favorite_id} for {self._user(user)}")
        return found

    def run(self, favorite_id: int, *, user: str | None = None, **kwargs: Any) -> Any:
        """Run a favorite again: its search (``SearchResults``) or its question (``Answer``)."""
        fav = self.get(favorite_id, user=user)
        options = {**fav.options, **kwargs}
        if fav.action == "search":
            return self.hub.search(fav.text, **options)
        return self.hub.ask(fav.text, **options)

    def __repr__(self) -> str:
        items = self.list()
        return "\n".join(["favorites (★)", *(repr(f) for f in items)]) if items else "no favorites yet"


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise BadInputError(f"{str(action)[:40]!r} is not a favorite kind: use search or ask")
    return action


def _favorite(row: tuple[Any, ...]) -> Favorite:
    try:
        options = json.loads(row[4]) if row[4] else {}
    except ValueError:
        options = {}
    return Favorite(
        int(row[0]), row[1], row[2], row[3], options if isinstance(options, dict) else {}, row[5], row[6]
    )
