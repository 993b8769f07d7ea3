"""The ``modelhub`` command: human tables by default, exactly one JSON document with ``--json``."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from .results import IndexReport, SearchResults


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _console():
    from rich.console import Console

    return Console(soft_wrap=False, width=max(100, shutil.get_terminal_size().columns))


def _fail(message: str) -> None:
    click.echo(f"modelhub: error: {message}", err=True)
    sys.exit(1)


def friendly(func):
    """Turn any exception into a one-line message and exit status 1: no tracebacks for users."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted")
        except Exception as err:  # noqa: BLE001 - the whole point
            text = str(err).splitlines()[0] if str(err) else type(err).__name__
            _fail(text)

    return wrapper


def _hub(ctx: click.Context):
    from .hub import Hub

    if "hub" not in ctx.obj:
        ctx.obj["hub"] = Hub(ctx.obj.get("home"))
    return ctx.obj["hub"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), help="Store location (default $MODELHUB_HOME or ~/.modelhub)."
)
@click.version_option(package_name="modelhub-jupyter")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Index and search a workspace of AI model scripts, model directories and generated images."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


@main.command()
@click.argument("path", type=click.Path())
@click.option("--exclude", multiple=True, help="gitignore-style pattern to skip (repeatable).")
@click.option("--max-depth", type=int, default=None, help="Directory levels below PATH to descend.")
@click.option("--max-file-size", type=float, default=None, help="Largest file to read in full, in MB.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.pass_context
@friendly
def index(ctx, path, exclude, max_depth, max_file_size, as_json, no_progress) -> None:
    """Index (incrementally) the workspace at PATH."""
    target = Path(path).expanduser()
    if not target.exists():
        raise FileNotFoundError(f"{path}: no such directory")
    if not target.is_dir():
        raise NotADirectoryError(f"{path}: not a directory")
    report = _hub(ctx).index(
        target,
        progress=not no_progress,
        exclude=exclude,
        max_depth=max_depth,
        max_file_size=int(max_file_size * 1024 * 1024) if max_file_size else None,
    )
    if as_json:
        _emit_json(report.to_dict())
    else:
        _print_report(report)


def _print_report(report: IndexReport) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title="modelhub index", show_header=False)
    for key, value in report.summary_rows():
        table.add_row(key, value)
    console.print(table)
    if report.errors:
        errors = Table(title=f"{len(report.errors)} file(s) not indexed", show_lines=False)
        errors.add_column("path")
        errors.add_column("problem")
        for e in report.errors[:200]:
            errors.add_row(e["path"], e["error"])
        console.print(errors)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def show(ctx, file, as_json) -> None:
    """Show what the hub knows about FILE, and where each value came from."""
    view = _hub(ctx).show(file)
    if as_json:
        _emit_json(view.to_dict())
        return
    from rich.table import Table

    from .ingest.types import flatten

    console = _console()
    state = "indexed" if view.indexed else ("error" if view.error else "not indexed (parsed now)")
    console.print(f"[bold]{view.path}[/bold]  {view.kind}  ({state})")
    if view.error:
        console.print(f"[red]error:[/red] {view.error}")
    table = Table(show_header=True)
    table.add_column("key")
    table.add_column("value")
    table.add_column("from")
    for key, value in flatten(view.metadata).items():
        if key == "raw_metadata" or key.startswith("raw_metadata."):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        table.add_row(key, str(shown)[:120], view.provenance.get(key, ""))
    console.print(table)
    if view.chunks:
        console.print(f"{len(view.chunks)} chunk(s):")
        for c in view.chunks[:40]:
            console.print(f"  {c.get('start_line', '')}-{c.get('end_line', '')}  {c.get('breadcrumb', '')}")
    for edge in view.relationships:
        console.print(
            f"  {edge['source_id']} --{edge['relation']}--> {edge['target_id']}  ({edge['evidence']})"
        )
    for warning in view.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@main.command()
@click.argument("query", nargs=-1)
@click.option("--kind", type=click.Choice(["code", "image", "model", "all"]), default="all")
@click.option("--where", multiple=True, help="Filter KEY=VALUE (also != > >= < <= ~); repeatable.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def search(ctx, query, kind, where, limit, as_json) -> None:
    """Search code, images and models (dense + keyword, fused)."""
    results = _hub(ctx).search(" ".join(query), kind=kind, where=list(where), limit=limit)
    if as_json:
        _emit_json(results.to_dict())
    else:
        _print_results(results)


def _print_results(results: SearchResults) -> None:
    console = _console()
    if not results.hits:
        console.print(
            f"no results for {results.query!r}"
            + (f" with {', '.join(results.filters)}" if results.filters else "")
        )
        return
    for rank, hit in enumerate(results.hits, start=1):
        where = f"{hit.path}:{hit.lines[0]}-{hit.lines[1]}" if hit.lines else hit.path
        console.print(
            f"[bold]{rank:2}. {where}[/bold]  [dim]{hit.kind} · score {hit.score:.4f}[/dim]", highlight=False
        )
        snippet = hit.snippet.strip().splitlines()
        for line in snippet[:6]:
            console.print(f"      {line[:110]}", highlight=False, markup=False)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def status(ctx, as_json) -> None:
    """What is indexed, where the store is, which model embeds, the last run."""
    info = _hub(ctx).status()
    if as_json:
        _emit_json(info)
        return
    console = _console()
    console.print(f"home      {info['home']}")
    console.print(f"store     {info['store']}")
    console.print(f"embedder  {info['embedder']} ({info['embedder_precision']})")
    console.print(f"files     {info['files']}  (errors: {info['errors']})")
    console.print(
        "documents " + (", ".join(f"{k}: {v}" for k, v in sorted(info["documents"].items())) or "none")
    )
    for root in info["roots"]:
        console.print(f"root      {root['path']}")
    run = info["last_run"]
    if run:
        stats = run.get("stats") or {}
        console.print(
            f"last run  #{run['id']} {run['status']}: {stats.get('indexed', 0)} indexed, "
            f"{stats.get('unchanged', 0)} unchanged, {len(stats.get('errors', []))} errors, "
            f"{stats.get('seconds', 0):.1f} s"
        )
    else:
        console.print("nothing indexed yet: run `modelhub index PATH`")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def rebuild(ctx, as_json) -> None:
    """Recreate the vector store from the SQLite catalog (no re-embedding)."""
    counts = _hub(ctx).rebuild()
    if as_json:
        _emit_json(counts)
    else:
        click.echo("rebuilt: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def relationships(ctx, as_json) -> None:
    """Lineage and links: predecessor_of, generated_by, defined_in, trained_on."""
    edges = _hub(ctx).relationships()
    if as_json:
        _emit_json(edges)
        return
    for e in edges:
        click.echo(f"{e['source_id']} --{e['relation']}--> {e['target_id']}    [{e['evidence']}]")


@main.group()
def schemas() -> None:
    """Document schemas."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@friendly
def schemas_export(directory) -> None:
    """Write the JSON Schema files into DIRECTORY."""
    from . import schemas as registry

    for path in registry.export(Path(directory)):
        click.echo(str(path))


@main.command()
@click.option(
    "--dest", type=click.Path(file_okay=False), default=None, help="Where to build the example workspace."
)
@click.pass_context
@friendly
def demo(ctx, dest) -> None:
    """Build the example workspace (with git history), index it and run a few searches."""
    from .demo import build_workspace

    hub = _hub(ctx)
    target = Path(dest) if dest else hub.settings.home / "example-workspace"
    if not (target / ".git").exists():
        build_workspace(target)
    click.echo(f"example workspace: {target}")
    report = hub.index(target)
    _print_report(report)
    for query, kind, where in (
        ("causal self attention", "code", []),
        ("training loop with AdamW", "code", ["framework=pytorch"]),
        ("castle at sunset", "image", []),
        ("small GPT model trained on wikitext", "model", []),
    ):
        label = f"{query!r} --kind {kind}" + "".join(f" --where {w}" for w in where)
        click.echo(f"\n$ modelhub search {label}")
        _print_results(hub.search(query, kind=kind, where=where, limit=3))


if __name__ == "__main__":
    main()
