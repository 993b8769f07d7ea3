"""Models side by side on the indexed example workspace: resolution, the aligned table, structural and
code diffs, lineage, exports, the CLI command and the %modelcompare parser."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

from modelhub_jupyter.compare.structure import diff_structures, model_structure
from modelhub_jupyter.errors import NotFoundError, QueryError


@pytest.fixture(scope="module")
def hub(indexed):
    return indexed[0]


@pytest.fixture(scope="module")
def v1v2(hub):
    return hub.compare(["transformer_v1", "transformer_v2"])


def test_table_aligns_fields_and_scores_improvements(v1v2):
    rows = {r["key"]: r for r in v1v2.rows}
    assert v1v2.labels == ["transformer_v1", "transformer_v2"]
    ppl = rows["performance.perplexity"]
    assert ppl["values"] == [31.2, 19.6] and ppl["diff"] and ppl["direction"] == "lower"
    assert ppl["improvement_pct"][1] == pytest.approx((31.2 - 19.6) / 31.2 * 100, abs=0.01)
    assert rows["model_dimensions.num_layers"]["change_pct"][1] == 100.0
    assert rows["model_dimensions.num_layers"]["improvement_pct"][1] is None  # no known direction
    assert not rows["framework.name"]["diff"]
    assert "performance.loss" in v1v2.differing and "framework.name" not in v1v2.differing


def test_structure_diff_names_layers_and_hyperparameters(v1v2):
    lines = v1v2.structure_diffs[0]["lines"]
    assert "+ class RotaryEmbedding" in lines
    assert "= class MLP (imported from transformer_v1)" in lines  # reused, not removed
    assert "~ GPTConfig n_layer: 6 → 12" in lines
    assert any(line.startswith("+ CausalSelfAttention.rotary = RotaryEmbedding(") for line in lines)
    assert any(line.startswith("- CausalSelfAttention.attn_dropout") for line in lines)


def test_code_diff_lineage_and_exports(v1v2, tmp_path):
    diff = v1v2.code_diffs[0]
    assert "diff_add" in diff["html"] and "+class RotaryEmbedding(nn.Module):" in diff["unified"]
    assert {"source": "transformer_v1", "target": "transformer_v2"} in v1v2.lineage["edges"]
    dated = {n["id"]: n["created"] for n in v1v2.lineage["nodes"]}
    assert dated["transformer_v1"] < dated["transformer_v2"]  # git dates
    data = json.loads(v1v2.to_json())
    assert data["differing"] == v1v2.differing
    table = list(csv.reader(io.StringIO(v1v2.to_csv())))
    assert table[0][:3] == ["field", "transformer_v1", "transformer_v2"]
    assert ["performance.perplexity", "31.2", "19.6"] == table[
        [r[0] for r in table].index("performance.perplexity")
    ][:3]
    md = v1v2.to_markdown()
    assert "| **performance.perplexity** | 31.2 | 19.6 (-37.2% better) |" in md
    page = v1v2.to_html()
    assert page.startswith("<!DOCTYPE html>") and "mh-better" in page and "plotly" in page
    assert v1v2.to_frame().loc["performance.loss", "transformer_v2"] == "2.98"


def test_family_picks_the_newest_and_says_so(hub):
    cmp = hub.compare(["transformer", "tiny-gpt"])
    assert cmp.labels == ["transformer_v2", "tiny-gpt"]
    assert any("picked transformer_v2" in n and "transformer_v1" in n for n in cmp.notes)


def test_file_path_and_version_resolve(hub, example_workspace):
    cmp = hub.compare([str(example_workspace / "gpt" / "transformer_v1.py"), "transformer_v2@2.0"])
    assert cmp.labels == ["transformer_v1", "transformer_v2"]


def test_images_of_a_model_come_with_thumbnails(hub):
    cmp = hub.compare(["sd15_castle_v1", "tiny-gpt"])
    paths = {img["path"] for img in cmp.images["sd15_castle_v1"]}
    assert {"outputs/castle_sunset.png", "outputs/castle_moonlit.png"} <= paths
    assert "data:image/webp;base64," in cmp.to_html()


def test_bad_names(hub):
    with pytest.raises(NotFoundError, match="did you mean transformer_v1"):
        hub.compare(["transformer_v1", "transfomer_v1x"])
    with pytest.raises(QueryError, match="2 to 4"):
        hub.compare(["transformer_v1"])
    with pytest.raises(NotFoundError, match="no version 9"):
        hub.compare(["transformer_v1", "transformer_v2@9"])


def test_values_from_files_are_escaped_in_html():
    src = 'class Evil:\n    x: str = "<script>alert(1)</script>"\n'
    good = "class Evil:\n    x: str = 'ok'\n"
    d = diff_structures(model_structure(good), model_structure(src))
    assert d["lines"] == ["~ Evil x: 'ok' → '<script>alert(1)</script>'"]
    assert model_structure("def broken(:\n")["error"].startswith("does not parse")


def test_cli_compare(hub, tmp_path):
    from modelhub_jupyter.cli import main

    home = str(hub.settings.home)
    runner = CliRunner()
    out = runner.invoke(main, ["--home", home, "compare", "transformer_v1", "transformer_v2", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["models"][1]["model_id"] == "transformer_v2"
    out = runner.invoke(main, ["--home", home, "compare", "transformer_v1", "transformer_v2", "--csv"])
    assert out.output.startswith("field,transformer_v1,transformer_v2")
    page = tmp_path / "c.html"
    out = runner.invoke(
        main, ["--home", home, "compare", "transformer_v1", "transformer_v2", "--html", str(page)]
    )
    assert out.exit_code == 0 and page.read_text().startswith("<!DOCTYPE html>")
    assert "*performance.perplexity" in out.output  # the human table marks differing rows
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        out = runner.invoke(main, ["--home", home, "compare", "transformer_v1", "transformer_v2",
                                   "--html", str(locked / "c.html")])  # fmt: skip
    finally:
        os.chmod(locked, 0o700)
    if os.geteuid() != 0:
        assert (
            out.exit_code == 1 and "cannot write" in out.output and len(out.output.strip().splitlines()) == 1
        )
    out = runner.invoke(main, ["--home", home, "compare", "transformer_v1", "nosuchmodel"])
    assert out.exit_code == 1 and out.output.strip().startswith("modelhub: error: no model")


def test_modelcompare_magic_parses_like_the_command():
    from modelhub_jupyter import _magic_parsers as parsers

    args = parsers.modelcompare.main(["a", "b", "--md"], standalone_mode=False)
    assert args.command == "compare" and args.params["models"] == ("a", "b") and args.params["as_md"]
