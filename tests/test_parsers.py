"""The parser table: built-ins by file kind, and a third-party parser found through its entry point."""

from __future__ import annotations

import logging
import textwrap

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.ingest import parsers
from modelhub_jupyter.ingest.scanner import classify
from modelhub_jupyter.vocabulary import FILE_KINDS, TYPE_OF_FILE_KIND

from .conftest import install_plugin

PLUGIN = """
from modelhub_jupyter.ingest.parsers import Parser, read_text
from modelhub_jupyter.ingest.types import Chunk, Extracted


def _read(path, relpath):
    text = read_text(path)
    ex = Extracted()
    ex.set("framework.name", "caffe", f"{relpath}:1")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("name:"):
            ex.set("model_id", line.split(":", 1)[1].strip().strip('"'), f"{relpath}:{number}")
    ex.chunks.append(Chunk(text, 1, len(text.splitlines()), relpath, "model_definition", "config"))
    return ex


parser = Parser("prototxt", _read, suffixes=(".prototxt",))
"""

LENET = textwrap.dedent(
    """\
    name: "LeNet"
    layer { name: "conv1" type: "Convolution" convolution_param { num_output: 20 kernel_size: 5 } }
    layer { name: "pool1" type: "Pooling" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
    """
)


@pytest.fixture
def caffe_plugin(tmp_path, monkeypatch):
    """An installed distribution (dist-info + module on sys.path) registering a parser and a broken one."""
    site = tmp_path / "site"
    install_plugin(
        site,
        "modelhub_test_caffe",
        PLUGIN,
        {"caffe": "modelhub_test_caffe:parser", "broken": "modelhub_test_caffe:no_such_parser"},
    )
    monkeypatch.syspath_prepend(str(site))
    parsers.refresh()
    yield
    monkeypatch.undo()
    parsers.refresh()


def test_builtin_table_covers_every_file_kind():
    table = parsers.parsers()
    assert set(FILE_KINDS) <= set(table)
    assert {kind: p.doc_type for kind, p in table.items() if kind in FILE_KINDS} == TYPE_OF_FILE_KIND


def test_a_plugin_parser_is_found_and_its_files_indexed(caffe_plugin, tmp_path, shared_embedder, caplog):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "lenet.prototxt").write_text(LENET)
    (ws / "train.py").write_text("import torch\n\n\ndef train(model):\n    return model\n")
    with caplog.at_level(logging.WARNING, logger="modelhub_jupyter.ingest.parsers"):
        assert classify("lenet.prototxt") == "prototxt"
    assert "parser plugin 'broken' not loaded" in caplog.text

    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        report = hub.index(ws, progress=False)
        assert report.indexed == 2 and not report.errors
        hit = hub.search("LeNet convolution pooling layers", kind="code", limit=1)[0]
        assert hit.path == "lenet.prototxt"
        view = hub.show(ws / "lenet.prototxt")
        assert view.file_kind == "prototxt" and view.metadata["framework"]["name"] == "caffe"
        assert view.metadata["model_id"] == "LeNet" and view.provenance["model_id"] == "lenet.prototxt:1"
        assert hub.search("", where=["framework=caffe"]).hits[0].path == "lenet.prototxt"


def test_without_the_plugin_the_file_is_not_indexed(tmp_path):
    parsers.refresh()
    assert classify("lenet.prototxt") is None


# -- issue 12: generation settings of real images (sd_metadata; the PNG side is in test_images) --


def test_invokeai_dream_command_line_and_oldest_sd_metadata():
    from modelhub_jupyter.ingest import sd_metadata as sd

    dream = sd.parse_dream('"a castle [blurry]" -s50 -W512 -H768 -C7.5 -Ak_lms -S3357757885')
    assert dream == {
        "prompt": "a castle",
        "negative_prompt": "blurry",
        "num_inference_steps": 50,
        "seed": 3357757885,
        "guidance_scale": 7.5,
        "sampler": "k_lms",
        "generation_size": "512x768",
    }
    spaced = sd.parse_dream('"x" -s 20 -S 16 -C 7.5 -A k_euler_a -V 3101263317:0.2')
    assert (spaced["num_inference_steps"], spaced["seed"], spaced["sampler"]) == (20, 16, "k_euler_a")
    assert sd.parse_dream("-s 50 no prompt") == {}
    legacy = sd.parse_invokeai_legacy(
        {"model_id": "stable-diffusion-1.4", "images": [{"steps": 20, "seed": 1654590180, "cfg_scale": 7.5}]}
    )
    assert legacy["num_inference_steps"] == 20 and legacy["seed"] == 1654590180
    assert legacy["source_model_id"] == "stable-diffusion-1.4"


def test_seeds_stay_exact_and_the_checkpoint_names_the_source_model():
    from modelhub_jupyter.ingest import sd_metadata as sd

    assert sd.to_int("12345678901234567890") == 12345678901234567890  # no float on the way
    params = sd.parse_a1111("a cat\nSteps: 20, Seed: 18446744073709551615, Model: sd_xl_base_1.0.safetensors")
    assert params["seed"] == 18446744073709551615
    assert params["source_model_id"] == "sd_xl_base_1.0"  # the checkpoint's name less its extension


def test_a_custom_loader_on_the_samplers_model_chain_names_the_checkpoint():
    """UI workflows of custom nodes (the prompt-reader's SDParameterGenerator) keep the checkpoint
    among unnamed widgets: the node on the sampler's model chain with no model input of its own is
    the loader (a custom LoRA loader on the way is a patch), even beside another loader."""
    from modelhub_jupyter.ingest import sd_metadata as sd

    def node(nid, ntype, widgets, inputs=()):
        return {
            "id": nid,
            "type": ntype,
            "widgets_values": widgets,
            "inputs": [{"name": name, "link": link} for name, link in inputs],
        }

    workflow = {
        "nodes": [
            node(10, "CheckpointLoaderSimple", ["sd_xl_refiner_1.0.safetensors"]),
            node(2, "SDParameterGenerator", ["sd_xl_base_1.0.safetensors", "baked VAE", 40, 7.5]),
            node(11, "SDLoraLoader", ["detail_tweaker.safetensors", 0.3, 1], [("model", 1)]),
            node(6, "CLIPTextEncode", ["a lighthouse at dusk"]),
            node(
                4,
                "KSamplerAdvanced",
                ["enable", 123, "fixed", 40, 7.5, "euler", "normal", 0, 40, "enable"],
                [("model", 2), ("positive", 3)],
            ),  # fmt: skip
            node(
                9,
                "KSamplerAdvanced",
                ["disable", 5, "fixed", 40, 7.5, "euler", "normal", 32, 40, "disable"],
                [("model", 4), ("positive", 3)],
            ),  # fmt: skip
        ],
        "links": [
            [1, 2, 0, 11, 0, "MODEL"],
            [2, 11, 0, 4, 0, "MODEL"],
            [3, 6, 0, 4, 1, "CONDITIONING"],
            [4, 10, 0, 9, 0, "MODEL"],
        ],  # fmt: skip
    }
    params = sd.parse_comfyui(sd.workflow_to_api(workflow))
    assert params["model_checkpoint"] == "sd_xl_base_1.0.safetensors"  # the base pass, not the refiner
    assert "detail_tweaker" in params["loras"]
    assert params["prompt"] == "a lighthouse at dusk"
