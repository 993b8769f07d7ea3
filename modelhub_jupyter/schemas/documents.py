"""Pydantic v2 models of the current document versions.

Documents carry plain values (``"hidden_size": 768``); types, enums and ranges live
here, once. Unknown extra keys are kept (parsers may find more than we model), but
every modelled key is validated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Architecture = Literal["transformer", "cnn", "rnn", "mlp", "diffusion", "gan", "other"]
SectionType = Literal["model_definition", "training_loop", "data_loading", "config", "evaluation", "utility"]
Relation = Literal["predecessor_of", "generated_by", "defined_in", "trained_on", "variant_of"]
PosInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Framework(_Open):
    name: str | None = None
    version: str | None = None


class ModelDimensions(_Open):
    hidden_size: PosInt | None = None
    num_layers: PosInt | None = None
    num_attention_heads: PosInt | None = None
    total_parameters: NonNegInt | None = None
    vocab_size: PosInt | None = None
    context_length: PosInt | None = None
    intermediate_size: PosInt | None = None


class Dataset(_Open):
    name: str | None = Field(None, description="canonical name, lower case (cifar10)")
    name_as_written: str | None = Field(None, description="the name as the file spelled it (CIFAR10)")
    config: str | None = None
    version: str | None = None
    num_samples: NonNegInt | None = None
    split: Literal["train", "validation", "test"] | None = None


class TrainingConfig(_Open):
    batch_size: PosInt | None = None
    learning_rate: Annotated[float, Field(gt=0, lt=10)] | None = None
    optimizer: str | None = None
    epochs: PosInt | None = None
    max_iters: PosInt | None = None
    weight_decay: Annotated[float, Field(ge=0)] | None = None
    training_time_hours: Annotated[float, Field(ge=0)] | None = None
    hardware_used: str | None = None


class Performance(_Open):
    accuracy: Annotated[float, Field(ge=0, le=1)] | None = None
    loss: Annotated[float, Field(ge=0)] | None = None
    perplexity: Annotated[float, Field(ge=1)] | None = None
    eval_dataset: str | None = None


class AccessControl(_Open):
    owner: str | None = None
    view_permissions: list[str] = Field(default_factory=list)
    edit_permissions: list[str] = Field(default_factory=list)
    share_permissions: list[str] = Field(default_factory=list)


class FileFacts(_Open):
    """Keys every file-backed document has."""

    filename: str
    filepath: str = Field(description="path relative to the indexed root")
    root: str = Field(description="absolute path of the indexed root")
    creation_date: datetime | None = None
    last_modified_date: datetime | None = None
    authors: list[str] = Field(default_factory=list)
    commit_count: NonNegInt | None = None
    last_commit_message: str | None = None
    history_source: Literal["git", "filesystem"] | None = None
    access_control: AccessControl | None = None


class ModelScriptMetadata(FileFacts):
    type: Literal["model_script"] = "model_script"
    language: str = "python"
    model_id: str | None = None
    model_family: str | None = None
    version: str | None = None
    predecessor_models: list[str] = Field(default_factory=list)
    framework: Framework | None = None
    architecture_type: Architecture | None = None
    model_classes: list[str] = Field(default_factory=list)
    model_dimensions: ModelDimensions | None = None
    dataset: Dataset | None = None
    training_config: TrainingConfig | None = None
    performance: Performance | None = None
    section_type: SectionType = "utility"
    chunk_id: NonNegInt = 0
    chunk_type: str = "function"
    symbol: str | None = None
    breadcrumb: str | None = None
    start_line: PosInt = 1
    end_line: PosInt = 1


class Resolution(_Open):
    width: PosInt
    height: PosInt


class SafetyAssessment(_Open):
    nsfw_score: Annotated[float, Field(ge=0, le=1)] | None = None
    violence_score: Annotated[float, Field(ge=0, le=1)] | None = None


class GeneratedImageMetadata(FileFacts):
    type: Literal["generated_image"] = "generated_image"
    format: Literal["png", "jpg", "webp"]
    resolution: Resolution
    generator: str = "none"
    prompt: str | None = None
    negative_prompt: str | None = None
    num_inference_steps: Annotated[int, Field(ge=1, le=10000)] | None = None
    guidance_scale: Annotated[float, Field(ge=0, le=100)] | None = None
    seed: int | None = None
    sampler: str | None = None
    scheduler: str | None = None
    denoising_strength: Annotated[float, Field(ge=0, le=1)] | None = None
    model_checkpoint: str | None = Field(None, description="canonical checkpoint name: the file's stem")
    model_checkpoint_as_written: str | None = Field(
        None, description="the checkpoint as the generator wrote it (dreamshaper_8.safetensors)"
    )
    model_hash: str | None = None
    source_model_id: str | None = None
    loras: list[str] = Field(default_factory=list)
    style_tags: list[str] = Field(default_factory=list)
    clip_score: Annotated[float, Field(ge=0, le=1)] | None = None
    safety_assessment: SafetyAssessment | None = None
    thumbnail_path: str | None = None
    image_path: str | None = None
    embedding_type: Literal["global", "tiled"] = "global"
    raw_metadata: dict[str, str] = Field(default_factory=dict)


class ModelDirMetadata(FileFacts):
    type: Literal["model_dir"] = "model_dir"
    model_id: str
    display_name: str | None = None
    description: str | None = None
    model_family: str | None = None
    architecture: str | None = None
    architecture_type: Architecture | None = None
    version: str | None = None
    predecessor_models: list[str] = Field(default_factory=list)
    framework: Framework | None = None
    model_dimensions: ModelDimensions | None = None
    weights: list[dict] = Field(default_factory=list)
    quantization: str | None = None
    license: str | None = None
    tags: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    dataset: Dataset | None = None
    performance: Performance | None = None
    chunk_id: NonNegInt = 0
    chunk_type: str = "config"
    breadcrumb: str | None = None
    start_line: PosInt = 1
    end_line: PosInt = 1


class RelationshipMetadata(_Open):
    type: Literal["relationship"] = "relationship"
    relation: Relation
    source_id: str = Field(description="model_id or file path of the source")
    target_id: str
    evidence: str = Field(description="why the hub believes it, e.g. 'gpt/transformer_v2.py:3'")


class Document(BaseModel):
    """The envelope every stored document shares."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    schema_version: str = Field(alias="$schema_version")
    content: str | None = None
    metadata: dict
    provenance: dict[str, str] = Field(default_factory=dict)
