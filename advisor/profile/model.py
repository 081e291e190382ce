"""The profile of a project: what the user tells the advisor, validated once, here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from advisor.errors import FieldProblem, InputFileError, ProfileError
from advisor.profile.checks import contradictions

TaskType = Literal[
    "classification", "regression", "detection", "segmentation", "generation", "metric_learning",
    "causal_lm", "masked_lm", "seq2seq",
]
Modality = Literal["image", "text", "tabular", "sequence", "audio"]
ModelFamily = Literal[
    "mlp", "cnn", "resnet", "mobilenet", "rnn", "lstm", "gru", "transformer", "vit", "gan"
]
ModelKind = Literal["encoder", "decoder", "encoder_decoder"]
Normalization = Literal["batchnorm", "layernorm", "rmsnorm", "groupnorm", "none"]
OptimizerName = Literal[
    "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax",
    "nadam", "lamb", "lars", "adafactor",
]
Activation = Literal[
    "relu", "leaky_relu", "gelu", "silu", "swish", "swiglu", "relu6", "elu", "tanh", "sigmoid"
]
FinetuneMethod = Literal["full", "linear_probe", "lora", "qlora", "adapters"]
Precision = Literal["fp32", "tf32", "fp16", "bf16"]
DropoutPlacement = Literal[
    "none", "fully_connected", "input_output", "before_batchnorm", "recurrent_cell",
    "convolutional",
]
LossName = Literal[
    "cross_entropy", "bce", "mse", "focal", "n_pair", "triplet", "wasserstein", "ctc", "hinge"
]
Device = Literal["cpu", "gpu", "tpu"]

_FIELD_PATH = re.compile(r"[a-z_]+(\.[a-z_]+)*")

PositiveInt = Annotated[int, Field(gt=0)]
_SEPARATORS = str.maketrans("", "", "_- \t")


class _Choice:
    """Marks a Literal field (through `Choice[...]`): a string equal to one allowed value once case,
    '_', '-' and spaces are ignored is taken as that value ("AdamW", "Batch-Norm", "encoder-decoder");
    any other is refused with the allowed values and the closest one. Derived from the Literal's
    arguments when the model's schema is built (lazily: the models defer it), not at import."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        allowed = tuple(str(a) for a in get_args(source))
        return core_schema.no_info_before_validator_function(_normaliser(allowed), handler(source))


def _fold(text: str) -> str:
    return text.translate(_SEPARATORS).lower()


def _normaliser(allowed: tuple[str, ...]) -> Callable[[Any], Any]:
    exact = frozenset(allowed)
    folded: dict[str, str | None] = {}
    for value in allowed:
        key = _fold(value)
        folded[key] = None if key in folded else value  # two values alike once folded: neither
    expected = " or ".join(filter(None, (", ".join(map(repr, allowed[:-1])), repr(allowed[-1]))))

    def normalise(value: Any) -> Any:
        if not isinstance(value, str) or value in exact:
            return value  # the Literal itself refuses a non-string
        found = folded.get(_fold(value))
        if found is not None:
            return found
        import difflib

        given = value.lower()
        close = difflib.get_close_matches(given, allowed, n=3)
        # Two letters swapped ('adma') first: difflib alone would rank 'adamax' above 'adam'.
        close = [c for c in close if sorted(c) == sorted(given)] or close
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PydanticCustomError(
            "literal_error", "Input should be {expected}{hint}", {"expected": expected, "hint": hint}
        )

    return normalise


T = TypeVar("T")
# Every Literal field of the profile is a Choice (tests/test_profile.py checks that none is left out).
Choice = Annotated[T, _Choice()]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, defer_build=True)


class Data(_Frozen):
    modality: Choice[Modality]
    num_samples: PositiveInt = Field(
        description="Training examples: images, sentences, sequences of sequence_length tokens, utterances."
    )
    num_classes: Annotated[int, Field(ge=2)] | None = Field(
        default=None, description="Classes for classification-like tasks; absent for regression."
    )
    imbalance_ratio: Annotated[float, Field(ge=1.0)] = Field(
        default=1.0, description="Largest class count divided by the smallest (1 = balanced)."
    )
    sparse_features: bool = False
    sequence_length: PositiveInt | None = Field(
        default=None, description="Tokens (or frames) per example; text, sequence and audio data."
    )
    num_tokens: PositiveInt | None = Field(
        default=None, description="Training tokens in the dataset (language models)."
    )


class Finetuning(_Frozen):
    method: Choice[FinetuneMethod] = Field(
        default="full", description="full | linear_probe | lora | qlora | adapters"
    )
    lora_rank: PositiveInt | None = Field(default=None, description="LoRA rank r (lora, qlora).")


class Model(_Frozen):
    family: Choice[ModelFamily]
    kind: Choice[ModelKind] | None = Field(
        default=None, description="Transformer layout: encoder, decoder or encoder_decoder."
    )
    num_params: PositiveInt | None = None
    depth: PositiveInt | None = Field(default=None, description="Number of weight layers (or blocks).")
    batchnorm: bool = Field(default=False, description="Kept from profile v1: normalization: batchnorm.")
    normalization: Choice[Normalization] | None = None
    activation: Choice[Activation] | None = None
    dropout_placement: Choice[DropoutPlacement] = "none"
    custom_layers: bool = Field(default=False, description="Hand-written ops with own backward.")
    pretrained: bool = False
    pretrain_similarity: Choice[Literal["high", "low"]] | None = Field(
        default=None, description="How close the target data is to the pretraining data."
    )
    finetuning: Finetuning | None = Field(
        default=None, description="How the pretrained weights are trained (pretrained models only)."
    )

    @field_validator("activation")
    @classmethod
    def _swish_is_silu(cls, value: Activation | None) -> Activation | None:
        return "silu" if value == "swish" else value  # after Choice: "Swish" too

    @property
    def norm(self) -> Normalization | None:
        """The normalization layers, from `normalization` or profile v1's `batchnorm: true`."""
        return self.normalization or ("batchnorm" if self.batchnorm else None)


class Loss(_Frozen):
    name: Choice[LossName] = "cross_entropy"
    auxiliary: bool = Field(default=False, description="An auxiliary loss (e.g. center loss).")


class Budget(_Frozen):
    trials: PositiveInt = Field(default=20, description="How many training runs the search may use.")
    epochs: PositiveInt | None = None
    steps: PositiveInt | None = Field(default=None, description="Optimizer steps per run.")
    tokens: PositiveInt | None = Field(default=None, description="Training tokens per run.")


class Hardware(_Frozen):
    device: Choice[Device] = "gpu"
    memory_gb: Annotated[float, Field(gt=0)] | None = None
    num_devices: PositiveInt = 1
    max_batch_size: PositiveInt | None = Field(
        default=None, description="Largest batch that fits in one device's memory."
    )
    precision: Choice[Precision] | None = Field(default=None, description="fp32 | tf32 | fp16 | bf16")
    global_batch_size: PositiveInt | None = Field(
        default=None,
        description="Samples per optimizer step over all devices and accumulation, when you fix it.",
    )
    gradient_accumulation_steps: PositiveInt | None = None


class Profile(_Frozen):
    """A project, as the advisor needs to know it."""

    name: str | None = Field(default=None, max_length=200)
    task: Choice[TaskType]
    data: Data
    model: Model
    optimizer: Choice[OptimizerName] | None = Field(default=None, description="Preferred optimizer.")
    learning_rate: Annotated[float, Field(gt=0, le=100)] | None = Field(
        default=None, description="The learning rate you use now, if any (checked against probes)."
    )
    loss: Loss = Loss()
    budget: Budget = Budget()
    hardware: Hardware = Hardware()

    @model_validator(mode="after")
    def _coherent(self) -> Profile:
        problems = contradictions(self)
        if problems:
            raise ValidationError.from_exception_data("Profile", [
                InitErrorDetails(type=PydanticCustomError("contradiction", message),
                                 loc=loc, input=None)
                for loc, message in problems
            ])
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
    from advisor.yamlio import load_yaml

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
