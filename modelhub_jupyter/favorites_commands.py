"""``modelhub favorites [list|add|run|remove]`` (and ``%modelhub favorites ...``): starred searches
and questions of the user (the CLI's ``--user``, else ``$MODELHUB_USER`` or the login name)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from .commands import Command

if TYPE_CHECKING:
    from .commands import Env
    from .favorites import Favorite

ACTIONS = ("list", "add", "run", "remove")
ACTION = click.argument("action", type=click.Choice(ACTIONS), required=False, default="list")
ARGS = click.argument("args", nargs=-1)
ONLY = click.option(
    "--only", type=click.Choice(("search", "ask")), default=None,
    help="list: only searches or only questions; add: what to star (default: search).",
)  # fmt: skip
FAV_KIND = click.option(
    "-k", "--kind", default=None, help="add: the search's kind (code, image, model, all)."
)
FAV_WHERE = click.option("-w", "--where", multiple=True, metavar="FILTER", help="add: a filter (repeatable).")
EXAMPLES = """\b
%modelhub favorites
%modelhub favorites add causal self attention --kind code
%modelhub favorites run 3
%modelhub favorites remove 3"""


@dataclass
class FavoriteList:
    """The favorites a command listed (or changed), for a table, JSON or a notebook."""

    user: str
    items: list[Favorite]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "favorites": [f.to_dict() for f in self.items], "note": self.note}

    def text(self) -> str:
        lines = [self.note] if self.note else []
        if not self.items:
            lines.append(f"no favorites for {self.user} yet: star a search or a question (☆), "
                         "or `modelhub favorites add TEXT`")  # fmt: skip
        for f in self.items:
            extra = [f"kind={f.options['kind']}"] if f.options.get("kind") else []
            extra += list(f.options.get("where") or ())
            options = f"  ({', '.join(extra)})" if extra else ""
            lines.append(f"★ {f.id:>4}  {f.action:<6} {f.text}{options}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{f.id}</td><td>{html.escape(f.action)}</td><td>{html.escape(f.text)}</td>"
            f"<td>{html.escape(', '.join(filter(None, [f.options.get('kind', ''), *f.options.get('where', [])])))}"
            f"</td><td>{html.escape(f.to_dict()['created'])}</td></tr>"
            for f in self.items
        )
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        if not rows:
            return note + f"<p>no favorites for {html.escape(self.user)} yet</p>"
        return (
            f"{note}<table><thead><tr><th>#</th><th>action</th><th>text</th><th>options</th><th>starred</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )


def favorites(
    env: Env,
    action: str = "list",
    args: tuple[str, ...] = (),
    only: str | None = None,
    kind: str | None = None,
    where: tuple[str, ...] = (),
) -> Any:
    """Starred searches and questions: list | add TEXT | run ID | remove ID-or-TEXT (per user: --user).

    run searches or asks again with the options the favorite was starred with."""
    from .analytics import current_user
    from .errors import BadInputError

    hub = env.hub
    user = hub.viewer.user or current_user()
    store = hub.favorites
    if action == "list":
        if args:
            raise BadInputError(f"favorites list takes no argument, not {' '.join(args)!r}")
        return FavoriteList(user, store.list(only, user=user))
    if not args:
        raise BadInputError(
            f"favorites {action} needs {'the text to star' if action == 'add' else 'a favorite id'}"
        )
    if action == "add":
        fav = store.add(" ".join(args), only or "search", kind=kind, where=list(where), user=user)
        return FavoriteList(user, store.list(user=user), note=f"starred #{fav.id}: {fav.text}")
    if action == "run":
        return store.run(_id(args), user=user, **({"surface": env.surface} if env.surface else {}))
    target: int | str = int(args[0]) if len(args) == 1 and args[0].isdigit() else " ".join(args)
    if not store.remove(target, only, user=user):
        raise BadInputError(f"no favorite {target!r} for {user}: `modelhub favorites` lists them")
    return FavoriteList(user, store.list(user=user), note=f"removed {target!r}")


def _id(args: tuple[str, ...]) -> int:
    from .errors import BadInputError

    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise BadInputError(f"favorites run takes one favorite id (a number), not {' '.join(args)!r}")
    return int(args[0].lstrip("#"))


COMMANDS: tuple[Command, ...] = (
    Command("favorites", favorites, (ACTION, ARGS, ONLY, FAV_KIND, FAV_WHERE), examples=EXAMPLES),
)
