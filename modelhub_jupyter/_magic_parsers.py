"""The magics' command lines, built from :mod:`.commands` (parsing only, no work).

``%modelhub <command>`` offers every command of the notebook surface; ``%modelsearch`` is
the ``search`` command as a magic of its own. Each parsed line becomes a :class:`MagicArgs`
naming the command and its parameters; :class:`~modelhub_jupyter.magics.ModelHubMagics` runs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from .commands import COMMANDS, MAGIC, Command, for_surface, key_of
from .vocabulary import SEARCH_KINDS

KINDS = SEARCH_KINDS
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass(frozen=True)
class MagicArgs:
    """What a magic's command line asked for: the command (``search``, ``index``) and its parameters."""

    command: str
    params: dict[str, Any] = field(default_factory=dict)


def _returns_args(name: str) -> Callable[..., MagicArgs]:
    """A click callback that returns the parsed parameters instead of doing anything."""

    def callback(**params: Any) -> MagicArgs:
        return MagicArgs(name, params)

    return callback


def _parser(spec: Command, name: str, help_text: str) -> click.Command:
    callback = spec.apply_params(_returns_args(key_of(spec)))
    return click.command(name, context_settings=CONTEXT, help=help_text)(callback)


def _with_examples(spec: Command) -> str:
    return spec.help + (f"\n\n{spec.examples}" if spec.examples else "")


@click.group("modelhub", context_settings=CONTEXT)
def modelhub() -> None:
    """Index a workspace of AI model scripts, model directories and images, and inspect the hub.

    \b
    %modelhub index ~/projects/my-models
    %modelhub status
    %modelhub show ~/projects/my-models/gpt/model.py
    """


def _add_all(group: click.Group) -> None:
    """Every command of the notebook surface under ``group``; grouped ones (``schemas export``) in a subgroup."""
    subgroups: dict[str, click.Group] = {}
    for spec in for_surface(MAGIC):
        parent = group
        if spec.group is not None:
            if spec.group not in subgroups:
                subgroups[spec.group] = click.Group(
                    spec.group, context_settings=CONTEXT, help=f"{spec.group.capitalize()} commands."
                )
                group.add_command(subgroups[spec.group])
            parent = subgroups[spec.group]
        parent.add_command(_parser(spec, spec.name, spec.help))


_add_all(modelhub)

modelsearch = _parser(COMMANDS["search"], "modelsearch", _with_examples(COMMANDS["search"]))
modelask = _parser(COMMANDS["ask"], "modelask", _with_examples(COMMANDS["ask"]))
modelcompare = _parser(COMMANDS["compare"], "modelcompare", _with_examples(COMMANDS["compare"]))


@functools.cache
def help_text(command: click.Command, prog: str) -> str:
    """The ``--help`` text of ``command`` as the magic ``prog`` shows it."""
    with click.Context(command, info_name=prog, **command.context_settings) as ctx:
        return command.get_help(ctx)
