"""Config files (YAML, TOML, JSON): mapped keys with their lines, flattened chunks, errors."""

from __future__ import annotations

import json
import textwrap

import pytest

from modelhub_jupyter.ingest.chunk_packing import MAX_CHARS
from modelhub_jupyter.ingest.config_files import parse_config
from modelhub_jupyter.ingest.types import ParseError


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, needle: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if needle in line)


YAML = src("""
    # GPT-2 small on wikitext-103 (used by train.py)
    model:
      name: gpt2-small
      n_embd: 768
      n_layer: 12
      n_head: 12
      block_size: 1024
    training:
      batch_size: 32
      lr: 3e-4            # YAML 1.1 reads this as a string; we still want a number
      optimizer:
        name: adamw
        weight_decay: 0.1
      max_iters: 20000
    eval:
      batch_size: 8
    data:
      name: wikitext
      config: wikitext-103-raw-v1
      split: train
""")


def test_yaml_keys_at_any_depth_with_node_lines():
    ex = parse_config(YAML, "configs/gpt.yaml", ".yaml")
    where = lambda needle: f"configs/gpt.yaml:{line_of(YAML, needle)}"  # noqa: E731
    assert ex.get("model_dimensions.hidden_size") == 768
    assert ex.provenance["model_dimensions.hidden_size"] == where("n_embd")
    assert ex.get("model_dimensions.num_layers") == 12
    assert ex.get("model_dimensions.num_attention_heads") == 12
    assert ex.get("model_dimensions.context_length") == 1024
    assert ex.get("training_config.batch_size") == 32  # not eval.batch_size
    assert ex.provenance["training_config.batch_size"] == where("batch_size: 32")
    assert ex.get("training_config.learning_rate") == pytest.approx(3e-4)
    assert ex.provenance["training_config.learning_rate"] == where("lr: 3e-4")
    assert ex.get("training_config.optimizer") == "AdamW"
    assert ex.provenance["training_config.optimizer"] == where("name: adamw")
    assert ex.get("training_config.weight_decay") == 0.1
    assert ex.get("training_config.max_iters") == 20000
    assert ex.get("dataset.name") == "wikitext"
    assert ex.provenance["dataset.name"] == where("name: wikitext")
    assert ex.get("dataset.config") == "wikitext-103-raw-v1"
    assert ex.get("dataset.split") == "train"
    assert ex.get("model_type") == "gpt2-small"
    assert ex.get("architecture_type") == "transformer"
    assert ex.get("config_kind") == "training"
    assert ex.warnings == []


def shows_its_lines(chunk, text: str) -> bool:
    """Below its breadcrumb a config chunk shows the file's lines it cites, as written."""
    return chunk.content.splitlines()[1:] == text.splitlines()[chunk.start_line - 1 : chunk.end_line]


def test_yaml_chunks_are_sections_as_written():
    ex = parse_config(YAML, "configs/gpt.yaml", ".yaml")
    assert [c.breadcrumb for c in ex.chunks] == [
        "configs/gpt.yaml › model",
        "configs/gpt.yaml › training",
        "configs/gpt.yaml › eval",
        "configs/gpt.yaml › data",
    ]
    model, training = ex.chunks[0], ex.chunks[1]
    assert model.content.splitlines() == [
        "configs/gpt.yaml › model",
        *YAML.splitlines()[: line_of(YAML, "block_size")],  # the comment above it, as written
    ]
    assert model.content.splitlines()[1] == "# GPT-2 small on wikitext-103 (used by train.py)"
    assert (model.start_line, model.end_line) == (1, line_of(YAML, "block_size"))
    assert "    name: adamw" in training.content.splitlines()
    assert (training.start_line, training.end_line) == (
        line_of(YAML, "training:"),
        line_of(YAML, "max_iters"),
    )
    for chunk in ex.chunks:
        assert (chunk.chunk_type, chunk.section_type) == ("config", "config")
        assert chunk.content.startswith(chunk.breadcrumb + "\n")
        assert shows_its_lines(chunk, YAML)


TOML = src("""
    # ResNet-18 on CIFAR-10
    epochs = 200

    [model]
    architecture = "resnet18"
    num_classes = 10

    [training]
    batch_size = 128
    learning_rate = 0.1
    optimizer = "sgd"
    weight_decay = 5e-4

    [training.schedule]
    max_steps = 78_000

    [results]
    accuracy = 95.3
    loss = 0.182
""")


def test_toml_with_results_and_line_search():
    ex = parse_config(TOML, "cfg/resnet.toml", ".toml")
    where = lambda needle: f"cfg/resnet.toml:{line_of(TOML, needle)}"  # noqa: E731
    assert ex.get("training_config.epochs") == 200
    assert ex.provenance["training_config.epochs"] == where("epochs = 200")
    assert ex.get("training_config.batch_size") == 128
    assert ex.provenance["training_config.batch_size"] == where("batch_size = 128")
    assert ex.get("training_config.optimizer") == "SGD"
    assert ex.get("training_config.weight_decay") == pytest.approx(5e-4)
    assert ex.get("training_config.max_iters") == 78000
    assert ex.provenance["training_config.max_iters"] == where("max_steps")
    assert ex.get("performance.accuracy") == pytest.approx(0.953)  # a percentage becomes a fraction
    assert ex.provenance["performance.accuracy"] == where("accuracy = 95.3")
    assert ex.get("performance.loss") == 0.182
    assert ex.get("architecture_type") == "cnn"
    crumbs = [c.breadcrumb for c in ex.chunks]
    assert crumbs == [
        "cfg/resnet.toml › top-level",
        "cfg/resnet.toml › model",
        "cfg/resnet.toml › training",
        "cfg/resnet.toml › results",
    ]
    assert "max_steps = 78_000" in ex.chunks[2].content.splitlines()
    assert all(shows_its_lines(chunk, TOML) for chunk in ex.chunks)


JSON_CONFIG = json.dumps(
    {
        "experiment": "mnist-mlp",
        "model": {"type": "mlp", "hidden_dim": 256, "num_layers": 3},
        "data": {"name": "mnist", "batch_size": 64},
        "optim": {"lr": 0.001, "type": "Adam"},
        "epochs": 10,
        "framework": "torch",
    },
    indent=2,
)


def test_plain_training_config_json():
    ex = parse_config(JSON_CONFIG, "train_config.json", ".json")
    where = lambda needle: f"train_config.json:{line_of(JSON_CONFIG, needle)}"  # noqa: E731
    assert ex.get("model_dimensions.hidden_size") == 256
    assert ex.provenance["model_dimensions.hidden_size"] == where('"hidden_dim"')
    assert ex.get("model_dimensions.num_layers") == 3
    assert ex.get("dataset.name") == "mnist"
    assert ex.provenance["dataset.name"] == where('"name": "mnist"')
    assert ex.get("training_config.batch_size") == 64
    assert ex.get("training_config.learning_rate") == 0.001
    assert ex.get("training_config.optimizer") == "Adam"
    assert ex.get("training_config.epochs") == 10
    assert ex.provenance["training_config.epochs"] == where('"epochs"')
    assert ex.get("framework.name") == "pytorch"
    assert ex.get("architecture_type") == "mlp"
    assert ex.get("config_kind") == "training"


def test_model_only_config_kind():
    text = json.dumps({"d_model": 512, "nhead": 8, "num_layers": 6, "model_type": "transformer"})
    ex = parse_config(text, "model.json", ".json")
    assert ex.get("config_kind") == "model"
    assert (ex.get("model_dimensions.hidden_size"), ex.get("model_dimensions.num_attention_heads")) == (
        512,
        8,
    )


def test_big_section_is_split_within_budget():
    data = {"sweep": {f"param_{i:03d}": f"value number {i} " * 3 for i in range(120)}}
    text = json.dumps(data, indent=1)
    ex = parse_config(text, "sweep.json", ".json")
    assert len(ex.chunks) > 2
    n = len(ex.chunks)
    seen = set()
    for index, chunk in enumerate(ex.chunks, 1):
        assert len(chunk.content) <= MAX_CHARS
        assert chunk.breadcrumb == f"sweep.json › sweep (part {index}/{n})"
        seen.update(chunk.content.splitlines()[1:])
    assert set(text.splitlines()) <= seen  # every line, as written
    assert all(shows_its_lines(chunk, text) for chunk in ex.chunks)


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        ("model: [unclosed\n  n_embd: 3\n", ".yaml", "invalid YAML"),
        ('{"lr": 0.1,}', ".json", "invalid JSON"),
        ("lr = = 0.1", ".toml", "invalid TOML"),
        ("a = 1", ".ini", "unsupported"),
    ],
)
def test_unparsable_config_raises_one_line_error_without_path(text, suffix, message):
    with pytest.raises(ParseError) as err:
        parse_config(text, "secret/dir/conf" + suffix, suffix)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value) and "secret/dir" not in str(err.value)


def test_empty_yaml_is_not_an_error():
    ex = parse_config("# nothing here yet\n", "empty.yaml", ".yml")
    assert ex.chunks == [] and ex.warnings == ["empty config file"]


# -- issue 12: configs nobody here wrote ----------------------------------------------------


def test_gpt_neox_dashed_keys_and_heads_make_a_transformer():
    text = src(
        """
        {
          "num-layers": 12,
          "hidden-size": 768,
          "num-attention-heads": 12,
          "train_micro_batch_size_per_gpu": 4,
          "train-iters": 320000,
          "optimizer": {"type": "Adam", "params": {"lr": 0.0006}}
        }
        """
    )
    ex = parse_config(text, "125M.json", ".json")
    assert ex.get("model_dimensions.num_layers") == 12
    assert ex.get("training_config.batch_size") == 4
    assert ex.get("training_config.max_iters") == 320000
    assert ex.get("training_config.optimizer") == "Adam"
    assert ex.get("training_config.learning_rate") == pytest.approx(6e-4)
    assert ex.get("architecture_type") == "transformer"
    assert ex.provenance["architecture_type"] == f"125M.json:{line_of(text, 'num-attention-heads')}"


def test_hydra_defaults_and_data_module_targets_name_the_dataset():
    train = src(
        """
        defaults:
          - _self_
          - data: mnist
          - model: mnist
        task_name: train
        """
    )
    ex = parse_config(train, "configs/train.yaml", ".yaml")
    assert ex.get("dataset.name") == "mnist"
    assert ex.provenance["dataset.name"] == f"configs/train.yaml:{line_of(train, 'data: mnist')}"
    override = parse_config("defaults:\n  - override /data: cifar10\n", "exp.yaml", ".yaml")
    assert override.get("dataset.name") == "cifar10"
    module = parse_config(
        "_target_: src.data.mnist_datamodule.MNISTDataModule\nbatch_size: 64\n", "data/mnist.yaml", ".yaml"
    )
    assert module.get("dataset.name") == "MNIST"


def test_model_names_give_the_family_and_architecture():
    ex = parse_config(
        "model_name_or_path: HuggingFaceTB/SmolLM2-1.7B\noptimizer_config:\n  opt_type: adamw\n",
        "sft.yaml",
        ".yaml",
    )
    assert ex.get("model_family") == "SmolLM2" and ex.get("architecture_type") == "transformer"
    assert ex.get("training_config.optimizer") == "AdamW"
    swin = parse_config("MODEL:\n  TYPE: swin\n  NAME: swin_base_patch4_window7_224\n", "swin.yaml", ".yaml")
    assert swin.get("model_family") == "swin" and swin.get("architecture_type") == "transformer"
    assert parse_config("model_name: ./checkpoints/run1\n", "x.yaml", ".yaml").get("model_family") is None
