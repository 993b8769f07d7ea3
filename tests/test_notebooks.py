"""Every template rendered and executed for real (papermill + ipykernel) on the indexed example
workspace; outputs checked for their tables and figures; manifests, verify, bad input, quotas."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from modelhub_jupyter import notebooks
from modelhub_jupyter.errors import BadInputError, NotFoundError
from modelhub_jupyter.notebooks import quota
from modelhub_jupyter.notebooks.run import NotebookFailedError

PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def hub(indexed):
    return indexed[0]


def _registry_with_v1(base):
    import torch
    from safetensors.torch import save_file

    from modelhub_jupyter import Hub
    from modelhub_jupyter.registry import register_version

    first = base / "v1"
    first.mkdir()
    save_file({"w": torch.zeros(2, 2)}, str(first / "model.safetensors"))
    with Hub(base / "home") as hub:
        register_version(hub, "tiny-spiral-mlp", first, metrics={"loss": 0.9, "accuracy": 0.5})
    return base / "home"


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory):
    """A fresh store whose registry already holds tiny-spiral-mlp v1 (train_model makes v2 of it)."""
    return _registry_with_v1(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def grid_home(tmp_path_factory):
    """Another such store, for a two-point train_model grid (v2 and v3, both from v1)."""
    return _registry_with_v1(tmp_path_factory.mktemp("grid-registry"))


@pytest.fixture(scope="module")
def runs(hub, registry_home, grid_home, tmp_path_factory):
    """Each template executed once, all at the same time (each papermill run has its own kernel, so
    they overlap); model_analysis is then verified, and a notebook whose cell raises runs beside them."""
    out = tmp_path_factory.mktemp("notebooks")
    params = {
        "model_analysis": {"model": "transformer_v2"},
        "compare_models": {"models": "transformer_v1,transformer_v2"},
        "image_set_report": {"where": "sampler=Euler a"},
        "benchmark_versions": {"family": "transformer"},
        "train_model": {"epochs": "3", "out_dir": str(out / "trained"), "home": str(registry_home)},
    }

    def execute(name):
        return hub.notebook(name, out=out / f"{name}.ipynb", execute=True, progress=False, user=f"t-{name}",
                            **params[name])  # fmt: skip

    def analyse_then_verify():
        run = execute("model_analysis")
        return run, notebooks.verify(run.path, progress=False)

    def failing():
        try:
            hub.notebook("benchmark_versions", out=out / "bad.ipynb", execute=True, progress=False, user="t-bad",
                         models="", family="nosuch")  # fmt: skip
        except NotebookFailedError as err:
            return err, out / "bad.ipynb"
        return None, out / "bad.ipynb"

    def grid():  # small: the point is one notebook per point and the report on what they made
        return notebooks.run_grid(None, "train_model", notebooks.parse_grid(["lr=0.01,0.05"]),
                                  {"epochs": "2", "samples": "300", "home": str(grid_home), "out_dir": str(out / "grid")},
                                  out=out / "grid.ipynb", execute=True, progress=False, user="t-grid")  # fmt: skip

    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(analyse_then_verify)
        others = {name: pool.submit(execute, name) for name in params if name != "model_analysis"}
        bad = pool.submit(failing)
        gridded = pool.submit(grid)
        done = {name: f.result() for name, f in others.items()}
        done["model_analysis"], verified = first.result()
        return {
            "runs": done,
            "verified": verified,
            "failed": bad.result(),
            "out": out,
            "grid": gridded.result(),
        }


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    mimes, text = [], []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            mimes += list(o.get("data", {}))
            text.append(
                o.get("text", "")
                + o.get("data", {}).get("text/plain", "")
                + o.get("data", {}).get("text/html", "")
            )
    return nb, mimes, "\n".join(text)


def test_every_template_runs_and_holds_its_tables_and_figures(runs):
    runs = runs["runs"]
    assert {r.status for r in runs.values()} == {"ok"}
    nb, mimes, text = _outputs(runs["model_analysis"].path)
    assert mimes.count(PLOTLY) == 2 and "model_dimensions.hidden_size" in text and "RotaryEmbedding" in text
    assert "+ class RotaryEmbedding" in text  # against its indexed predecessor
    nb, mimes, text = _outputs(runs["compare_models"].path)
    assert mimes.count(PLOTLY) == 2 and "performance.perplexity" in text and "diff_add" in text
    nb, mimes, text = _outputs(runs["image_set_report"].path)
    assert mimes.count(PLOTLY) == 2 and "Euler a" in text and "castle" in text
    nb, mimes, text = _outputs(runs["benchmark_versions"].path)
    assert PLOTLY in mimes and "transformer_v1" in text and "improvement %" in text
    nb, mimes, text = _outputs(runs["train_model"].path)
    assert PLOTLY in mimes and "epoch   3" in text
    assert "registered tiny-spiral-mlp v2 (parent v1)" in text


def test_snapshot_travels_and_manifest_is_written(runs):
    run = runs["runs"]["compare_models"]
    nb = nbformat.read(run.path, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "snapshot_json" in injected.source and "transformer_v1.py" in injected.source
    assert nb.cells[1].source.startswith("# On Colab") and "google.colab" in nb.cells[1].source
    manifest = nb.metadata["modelhub"]["manifest"]
    beside = json.loads(open(run.manifest).read())
    assert manifest == beside and manifest["parameters"]["models"] == "transformer_v1,transformer_v2"
    assert len(manifest["inputs"]["snapshot"]) == 64 and "papermill" in manifest["packages"]
    assert all(len(c["hash"]) == 64 for c in manifest["cells"])


def test_train_model_saves_checkpoint_config_and_card(runs):
    from safetensors.torch import load_file

    folder = runs["out"] / "trained" / "tiny-spiral-mlp" / "v2"  # the next version's own folder
    assert {"model.safetensors", "config.json", "README.md", "metrics.json"} <= {
        p.name for p in folder.iterdir()
    }
    history = json.loads((folder / "metrics.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert load_file(str(folder / "model.safetensors"))["0.weight"].shape == (32, 2)
    config = json.loads((folder / "config.json").read_text())
    assert config["version"] == "v2" and config["parent"] == "v1" and len(config["data_sha256"]) == 64


def test_train_model_registers_the_next_version_with_metrics_and_parent(runs, registry_home):
    from modelhub_jupyter import Hub

    history = json.loads((runs["out"] / "trained" / "tiny-spiral-mlp" / "v2" / "metrics.json").read_text())
    with Hub(registry_home) as hub:
        versions = hub.models.store.versions("tiny-spiral-mlp")
        assert [v.version for v in versions] == ["v1", "v2"]
        new = hub.models.version("tiny-spiral-mlp", "v2")
        assert new.parent == "v1" and new.source == "train_model notebook"
        assert new.metrics == {"loss": history[-1]["loss"], "accuracy": history[-1]["accuracy"]}
        assert new.inference_config["config"]["training"]["epochs"] == 3
        assert new.inference_config["data_sha256"] == json.loads(
            (runs["out"] / "trained" / "tiny-spiral-mlp" / "v2" / "config.json").read_text())["data_sha256"]  # fmt: skip
        assert "model.safetensors" in {f["file"] for f in new.files}
        assert hub.models.validate("tiny-spiral-mlp", "v2")["ok"]  # its files as registered (sha256)
        assert hub.models.validate("tiny-spiral-mlp", "v1")["ok"]  # v1's files not overwritten


def test_grid_trains_one_notebook_per_point_and_reports_the_versions(runs, grid_home):
    from modelhub_jupyter import Hub

    *points, report = runs["grid"]
    assert [(r.template, r.status) for r in runs["grid"]] == [
        ("train_model", "ok"), ("train_model", "ok"), ("benchmark_versions", "ok")]  # fmt: skip
    assert [p.parameters["lr"] for p in points] == [0.01, 0.05] and points[0].path.endswith(
        "grid_lr-0.01.ipynb"
    )
    with Hub(grid_home) as hub:
        made = {v.version: v for v in hub.models.store.versions("tiny-spiral-mlp")}
    assert sorted(made) == ["v1", "v2", "v3"] and made["v2"].parent == made["v3"].parent == "v1"  # siblings
    assert report.path.endswith("grid_report.ipynb")
    assert report.parameters["registry"] == "tiny-spiral-mlp" and report.parameters["models"] == "v2,v3"
    nb, mimes, text = _outputs(report.path)
    assert PLOTLY in mimes and "tiny-spiral-mlp@v3" in text and "improvement %" in text
    assert "performance.accuracy" in text and "training_config.lr" in text


def test_verify_reruns_and_finds_no_difference(runs):
    report = runs["verified"]
    assert report.status == "same", report.differences
    assert report.path == runs["runs"]["model_analysis"].path and report.executed


def test_failed_cell_is_named_and_partial_notebook_kept(runs):
    err, out = runs["failed"]
    assert isinstance(err, NotebookFailedError) and "raised ValueError: no indexed models" in str(err)
    assert str(out) in str(err) and "partial notebook is kept" in str(err)
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["modelhub"]["status"] == "failed" and "manifest" not in nb.metadata["modelhub"]
    assert not out.with_suffix(".manifest.json").exists()


def test_bad_input_is_one_line(hub, tmp_path):
    with pytest.raises(NotFoundError, match="unknown notebook template 'nope'.*model_analysis"):
        hub.notebook("nope", out=tmp_path / "x.ipynb")
    with pytest.raises(BadInputError, match="unknown parameter colour"):
        hub.notebook("model_analysis", out=tmp_path / "x.ipynb", model="transformer_v1", colour="red")
    with pytest.raises(BadInputError, match="parameter epochs must be int"):
        hub.notebook("train_model", out=tmp_path / "x.ipynb", epochs="many")
    with pytest.raises(BadInputError, match="parameter model is required"):
        hub.notebook("model_analysis", out=tmp_path / "x.ipynb")
    with pytest.raises(NotFoundError, match="no model, family or indexed file named 'ghost'"):
        hub.notebook("model_analysis", out=tmp_path / "x.ipynb", model="ghost")
    with pytest.raises(BadInputError, match="does not exist"):
        hub.notebook("model_analysis", out=tmp_path / "missing" / "x.ipynb", model="transformer_v1")
    assert not list(tmp_path.glob("*.ipynb"))  # nothing half-written


def test_quota_refuses_a_run_over_the_limit(hub, tmp_path):
    quota.set_quota(hub.catalog, "quota-user", max_concurrent=1, max_seconds=0.0)
    with pytest.raises(quota.QuotaExceededError, match="limit is 0 s"):
        hub.notebook("model_analysis", out=tmp_path / "q.ipynb", execute=True, user="quota-user",
                     model="transformer_v1")  # fmt: skip
    quota.set_quota(hub.catalog, "quota-user", max_concurrent=1, max_seconds=3600)
    run_id = quota.start(hub.catalog, "quota-user", "model_analysis", "elsewhere.ipynb")
    with pytest.raises(quota.QuotaExceededError, match="already runs 1"):
        quota.start(hub.catalog, "quota-user", "model_analysis", "again.ipynb")
    quota.finish(hub.catalog, run_id, "ok")
    assert quota.runs(hub.catalog, "quota-user")[0]["status"] == "ok"


def test_cli_lists_renders_and_exports_html(hub, tmp_path):
    from click.testing import CliRunner

    from modelhub_jupyter.cli import main

    home = str(hub.settings.home)
    runner = CliRunner()
    out = runner.invoke(main, ["--home", home, "notebook", "list", "--json"])
    assert {t["name"] for t in json.loads(out.output)} == {
        "model_analysis", "compare_models", "image_set_report", "benchmark_versions", "train_model"}  # fmt: skip
    target = tmp_path / "cmp.ipynb"
    out = runner.invoke(main, ["--home", home, "notebook", "compare_models", "-p", "models=transformer_v1,tiny-gpt",
                               "--out", str(target), "--html"])  # fmt: skip
    assert out.exit_code == 0, out.output
    nbformat.validate(nbformat.read(target, as_version=4))
    assert (tmp_path / "cmp.html").read_text().startswith("<!DOCTYPE html>")
    out = runner.invoke(
        main, ["--home", home, "notebook", "compare_models", "-p", "models", "--out", str(target)]
    )
    assert out.exit_code == 1 and "expected KEY=VALUE" in out.output
