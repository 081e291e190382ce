"""The profile of a project: what the user tells the advisor, validated once, here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import FieldProblem, InputFileError, ProfileError

TaskType = Literal[
    "classification", "regression", "detection", "segmentation", "generation", "metric_learning"
]
Modality = Literal["image", "text", "tabular", "sequence", "audio"]
ModelFamily = Literal["mlp", "cnn", "resnet", "rnn", "lstm", "gru", "transformer", "gan"]
OptimizerName = Literal[
    "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax",
    "nadam",
]
Activation = Literal["relu", "leaky_relu", "gelu", "tanh", "sigmoid"]
DropoutPlacement = Literal[
    "none", "fully_connected", "input_output", "before_batchnorm", "recurrent_cell",
    "convolutional",
]
LossName = Literal["cross_entropy", "bce", "mse", "focal", "n_pair", "triplet", "wasserstein"]
Device = Literal["cpu", "gpu", "tpu"]

_FIELD_PATH = re.compile(r"[a-z_]+(\.[a-z_]+)*")

PositiveInt = Annotated[int, Field(gt=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Data(_Frozen):
    modality: Modality
    num_samples: PositiveInt = Field(description="Number of labelled training samples.")
    num_classes: Annotated[int, Field(ge=2)] | None = Field(
        default=None, description="Classes for classification-like tasks; absent for regression."
    )
    imbalance_ratio: Annotated[float, Field(ge=1.0)] = Field(
        default=1.0, description="Largest class count divided by the smallest (1 = balanced)."
    )
    sparse_features: bool = False


class Model(_Frozen):
    family: ModelFamily
    num_params: PositiveInt | None = None
    depth: PositiveInt | None = Field(default=None, description="Number of weight layers.")
    batchnorm: bool = False
    activation: Activation | None = None
    dropout_placement: DropoutPlacement = "none"
    custom_layers: bool = Field(default=False, description="Hand-written ops with own backward.")
    pretrained: bool = False
    pretrain_similarity: Literal["high", "low"] | None = Field(
        default=None, description="How close the target data is to the pretraining data."
    )

    @model_validator(mode="after")
    def _similarity_needs_pretrained(self) -> Model:
        if self.pretrained and self.pretrain_similarity is None:
            raise ValueError(
                "pretrain_similarity: required when pretrained is true (allowed: high, low)"
            )
        if not self.pretrained and self.pretrain_similarity is not None:
            raise ValueError("pretrain_similarity: only applies when pretrained is true; remove it")
        return self


class Loss(_Frozen):
    name: LossName = "cross_entropy"
    auxiliary: bool = Field(default=False, description="An auxiliary loss (e.g. center loss).")


class Budget(_Frozen):
    trials: PositiveInt = Field(default=20, description="How many training runs the search may use.")
    epochs: PositiveInt | None = None


class Hardware(_Frozen):
    device: Device = "gpu"
    memory_gb: Annotated[float, Field(gt=0)] | None = None
    num_devices: PositiveInt = 1
    max_batch_size: PositiveInt | None = Field(
        default=None, description="Largest batch that fits in one device's memory."
    )


class Profile(_Frozen):
    """A project, as the advisor needs to know it."""

    name: str | None = Field(default=None, max_length=200)
    task: TaskType
    data: Data
    model: Model
    optimizer: OptimizerName | None = Field(default=None, description="Preferred optimizer.")
    learning_rate: Annotated[float, Field(gt=0, le=100)] | None = Field(
        default=None, description="The learning rate you use now, if any (checked against probes)."
    )
    loss: Loss = Loss()
    budget: Budget = Budget()
    hardware: Hardware = Hardware()

    @model_validator(mode="after")
    def _classes_match_task(self) -> Profile:
        if self.task == "regression" and self.data.num_classes is not None:
            raise ValueError("data.num_classes: does not apply to a regression task; remove it")
        if self.task == "classification" and self.data.num_classes is None:
            raise ValueError("data.num_classes: required for a classification task (an integer >= 2)")
        return self


def problems_from_validation(error: ValidationError) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, with the allowed values spelled out."""
    return problems_from_error_dicts(error.errors(include_url=False))


def problems_from_error_dicts(
    errors: Sequence[Mapping[str, Any]], strip: tuple[str, ...] = ()
) -> list[FieldProblem]:
    """Turn pydantic-style error dicts into FieldProblems; drop leading `strip` parts of loc."""
    problems = []
    for item in errors:
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        while loc and loc[0] in strip:
            loc = loc[1:]
        message = str(item["msg"])
        if item["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif item["type"] == "missing":
            message = "field required"
        elif message.startswith("Value error, "):
            # Cross-field validators prefix their message with the field path they are about.
            message = message.removeprefix("Value error, ")
            field, sep, rest = message.partition(": ")
            if sep and _FIELD_PATH.fullmatch(field):
                loc = (*loc, *field.split("."))
                message = rest
        elif isinstance(item.get("input"), str | int | float) and not isinstance(item["input"], bool):
            shown = repr(item["input"])
            message = f"{message} (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        problems.append(FieldProblem(location=loc, message=message))
    return problems


def parse_profile(data: Any, source: str | None = None) -> Profile:
    """Validate raw data (a mapping) into a Profile or raise ProfileError with every problem."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ProfileError([FieldProblem((), f"a profile is a mapping of fields, got {kind}")], source)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(problems_from_validation(exc), source) from None


def read_document(path: Path) -> Any:
    """Read a YAML or JSON file; errors name the file and the line."""
    from .yamlio import load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    return load_yaml(text, str(path))


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file (YAML or JSON)."""
    path = Path(path)
    return parse_profile(read_document(path), source=str(path))
