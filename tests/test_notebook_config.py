"""``modelhub notebook train_model -p config=configs/tiny.yaml -p epochs=3``: the config file is read where
the command runs, its values become the notebook's parameters, the command line wins, the file's hash is
an input; bad files are one-line errors naming them. Rendering only (no kernel): fast."""

from __future__ import annotations

import json

import nbformat
import pytest
from click.testing import CliRunner

from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.notebooks import manifest, render


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "tiny.yaml").write_text("epochs: 7\nlr: 0.05\nhidden: 8\n")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_config_values_become_parameters_and_the_command_line_wins(project):
    run = render(None, "train_model", out=project / "out" / "t.ipynb", config="configs/tiny.yaml", epochs="3")
    nb = nbformat.read(run.path, as_version=4)
    injected = nb.metadata["papermill"]["parameters"]
    assert injected["epochs"] == 3 and injected["lr"] == 0.05 and injected["hidden"] == 8
    assert injected["config"] == ""  # the notebook's own config cell does not read the file again
    source = str(project / "configs" / "tiny.yaml")
    assert nb.metadata["modelhub"]["config_file"] == source and run.parameters["config"] == source
    assert nb.metadata["modelhub"]["inputs"]["config"] == manifest.sha256_bytes(
        (project / "configs" / "tiny.yaml").read_bytes()
    )
    nbformat.validate(nb)


def test_cli_reads_the_config_relative_to_where_it_runs(project, tmp_path_factory):
    from modelhub_jupyter.cli import main

    (project / "configs" / "run.json").write_text(json.dumps({"samples": 300, "seed": 4}))
    home = tmp_path_factory.mktemp("home")
    target = project / "out" / "cli.ipynb"
    out = CliRunner().invoke(main, ["--home", str(home), "notebook", "train_model", "-p", "config=configs/run.json",
                                    "-p", "epochs=3", "--out", str(target), "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["parameters"]["config"] == str(project / "configs" / "run.json")
    injected = nbformat.read(target, as_version=4).metadata["papermill"]["parameters"]
    assert (injected["samples"], injected["seed"], injected["epochs"]) == (300, 4, 3)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "no such config file (parameter config of train_model)"),
        ("batch_size: 4\nepochs: 2\n", "train_model takes no parameter batch_size (it takes "),
        ("epochs: many\n", "parameter epochs must be int, not 'many'"),
        ("- 1\n- 2\n", "expected a mapping of parameter: value"),
        ("epochs: [1, 2]\n", "epochs must be a plain value"),
        ("epochs: 3\n  bad: : indent\n", "not a YAML or JSON file"),
        ("home: /elsewhere\n", "train_model takes no parameter home"),
    ],
    ids=["missing", "unknown-key", "wrong-type", "not-mapping", "nested", "not-yaml", "reserved"],
)
def test_a_bad_config_file_is_one_line_naming_it(project, content, said):
    path = project / "configs" / "bad.yaml"
    if content is not None:
        path.write_text(content)
    target = project / "out" / "bad.ipynb"
    with pytest.raises(BadInputError) as err:
        render(None, "train_model", out=target, config="configs/bad.yaml")
    message = str(err.value)
    assert message.startswith(f"{path}: ") and said in message and "\n" not in message
    assert not target.exists()
