"""The schema registry: validation names the field, old versions migrate, JSON Schema exports."""

from __future__ import annotations

import json

import jsonschema
import pytest

from modelhub_jupyter import schemas

SEED_SCRIPT_V1 = {
    "id": "model_script_123",
    "$schema_version": "1.0.0",
    "content": "class GPT(nn.Module): ...",
    "metadata": {
        "type": "model_script",
        "filename": "transformer_v2.py",
        "filepath": "/projects/transformers/transformer_v2.py",
        "creation_date": "2023-05-15T10:30:00",
        "model_id": "transformer_v2",
        "predecessor_models": ["transformer_v1"],
        "framework": {"name": "pytorch", "version": "2.0.1", "type": "string"},
        "architecture_type": {
            "value": "transformer",
            "type": "enum",
            "allowed_values": ["transformer", "cnn"],
        },
        "model_dimensions": {"hidden_size": {"value": 768, "type": "integer"}},
        "training_config": {"learning_rate": {"value": 5e-5, "type": "float"}},
        "performance": {"perplexity": {"value": 9.3, "type": "float", "range": [1.0, None]}},
        "section_type": "model_definition",
        "chunk_id": 3,
    },
}

SEED_IMAGE_V1 = {
    "id": "generated_image_456",
    "$schema_version": "1.0.0",
    "content": None,
    "metadata": {
        "type": "generated_image",
        "filename": "landscape_v2_0042.png",
        "filepath": "/projects/diffusion/outputs/landscape_v2_0042.png",
        "prompt": {"value": "a serene landscape with mountains", "type": "string"},
        "guidance_scale": {"value": 7.5, "type": "float", "range": [1.0, 20.0]},
        "num_inference_steps": {"value": 50, "type": "integer", "range": [1, 1000]},
        "seed": {"value": 42456789, "type": "integer"},
        "resolution": {
            "width": {"value": 768, "type": "integer"},
            "height": {"value": 768, "type": "integer"},
        },
        "format": {"value": "png", "type": "enum", "allowed_values": ["png", "jpg", "webp"]},
        "style_tags": {"value": ["landscape", "sunset"], "type": "array", "items_type": "string"},
    },
}


def _script(**extra):
    return {"type": "model_script", "filename": "a.py", "filepath": "a.py", "root": "/w", **extra}


def test_validation_error_names_the_field_and_the_reason():
    with pytest.raises(schemas.SchemaError) as err:
        schemas.validate(_script(model_dimensions={"hidden_size": -5}))
    message = str(err.value)
    assert "metadata.model_dimensions.hidden_size" in message
    assert "greater than 0" in message and "-5" in message
    assert "\n" not in message


def test_enum_and_range_live_in_the_schema():
    with pytest.raises(schemas.SchemaError, match="architecture_type"):
        schemas.validate(_script(architecture_type="quantum"))
    with pytest.raises(schemas.SchemaError, match="performance.accuracy"):
        schemas.validate(_script(performance={"accuracy": 1.7}))


def test_lenient_validation_keeps_the_document_and_reports_the_dropped_value():
    clean, warnings = schemas.validate_lenient(_script(model_dimensions={"hidden_size": 0, "num_layers": 12}))
    assert clean["model_dimensions"] == {"num_layers": 12}
    assert len(warnings) == 1 and "hidden_size" in warnings[0] and "dropped" in warnings[0]


def test_seed_v1_script_is_upgraded_to_plain_values_on_read():
    doc = schemas.read(SEED_SCRIPT_V1)
    md = doc["metadata"]
    assert doc["$schema_version"] == schemas.current_version("model_script") == "2.1.0"
    assert md["architecture_type"] == "transformer"
    assert md["model_dimensions"]["hidden_size"] == 768
    assert md["framework"] == {"name": "pytorch", "version": "2.0.1"}
    assert md["performance"]["perplexity"] == 9.3
    assert md["predecessor_models"] == ["transformer_v1"]


def test_seed_v1_image_is_upgraded_on_read():
    md = schemas.read(SEED_IMAGE_V1)["metadata"]
    assert md["prompt"] == "a serene landscape with mountains"
    assert md["resolution"] == {"width": 768, "height": 768}
    assert md["format"] == "png" and md["seed"] == 42456789
    assert md["style_tags"] == ["landscape", "sunset"]


def test_current_documents_read_back_unchanged():
    current = {"id": "x", "$schema_version": "2.0.0", "metadata": schemas.validate(_script(symbol="f"))}
    assert schemas.read(current)["metadata"] == current["metadata"]


def test_unknown_version_is_a_clear_error():
    with pytest.raises(schemas.SchemaError, match="no migration from version 0.9"):
        schemas.read({"id": "x", "$schema_version": "0.9", "metadata": _script()})


def test_export_writes_json_schemas_that_validate_documents(tmp_path):
    paths = schemas.export(tmp_path)
    names = {p.name for p in paths}
    assert {"model_script.schema.json", "generated_image.schema.json", "model_dir.schema.json",
            "relationship.schema.json", "registry.json"} <= names  # fmt: skip
    registry = json.loads((tmp_path / "registry.json").read_text())
    assert {s["schema_id"] for s in registry["schemas"]} >= {"model_script_schema", "generated_image_schema"}
    script_schema = json.loads((tmp_path / "model_script.schema.json").read_text())
    jsonschema.validate(schemas.read(SEED_SCRIPT_V1)["metadata"], script_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**_script(), "architecture_type": "quantum"}, script_schema)


def test_a_catalog_written_by_an_older_release_reads_as_the_current_version(tmp_path):
    from modelhub_jupyter.store import Catalog, DocRow

    catalog = Catalog(tmp_path / "catalog.sqlite")
    old = SEED_SCRIPT_V1["metadata"]
    catalog.replace_documents(
        "/p/t.py", [DocRow("old#0", "/p/t.py", "code", "model_script", "1.0.0", "x", None, old, {})]
    )
    [doc] = catalog.documents()
    assert doc.schema_version == schemas.current_version("model_script")
    assert doc.metadata["architecture_type"] == "transformer"
    assert doc.metadata["model_dimensions"]["hidden_size"] == 768


def test_documents_of_2_0_0_read_with_one_name_per_checkpoint_dataset_and_framework():
    image = {
        "type": "generated_image", "filename": "a.png", "filepath": "a.png", "root": "/r", "format": "png",
        "resolution": {"width": 8, "height": 8}, "model_checkpoint": "SDXL\\sd_xl_base_1.0.safetensors",
    }  # fmt: skip
    md = schemas.read({"id": "a", "$schema_version": "2.0.0", "metadata": image})["metadata"]
    assert md["model_checkpoint"] == "sd_xl_base_1.0"
    assert md["model_checkpoint_as_written"] == "SDXL\\sd_xl_base_1.0.safetensors"
    script = _script(dataset={"name": "CIFAR10"}, framework={"name": "PyTorch"})
    md = schemas.read({"id": "s", "$schema_version": "2.0.0", "metadata": script})["metadata"]
    assert md["dataset"] == {"name": "cifar10", "name_as_written": "CIFAR10"}
    assert md["framework"]["name"] == "pytorch"
    # already canonical: read back unchanged
    assert schemas.read({"id": "s", "$schema_version": "2.1.0", "metadata": md})["metadata"] == md
