"""The profile of a project: what the user tells the advisor, validated once, here."""

from __future__ import annotations

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

from advisor.errors import FieldProblem, ProfileError
from advisor.profile.checks import contradictions
from advisor.yamlio import MAX_PROBLEMS, document_problems, load_document, shown

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

# The input boundary. A profile file is at most MAX_PROFILE_BYTES; no mapping in a profile has more
# than MAX_KEYS keys (the largest section has 13 fields: more is never valid, and refusing it first
# keeps a million-key document from becoming a million problems); every number has a ceiling, far
# above any real project but low enough that the rules' arithmetic with floats cannot overflow.
MAX_PROFILE_BYTES = 1 << 20
MAX_KEYS = 64
# Field path -> its largest allowed value (README: "A profile"); each field's description says it too.
LIMITS: dict[str, float] = {
    "data.num_samples": 10**12, "data.num_classes": 10**9, "data.imbalance_ratio": 10**9,
    "data.sequence_length": 10**8, "data.num_tokens": 10**15,
    "model.num_params": 10**14, "model.depth": 10**5, "model.finetuning.lora_rank": 10**5,
    "learning_rate": 100,
    "budget.trials": 10**6, "budget.epochs": 10**6, "budget.steps": 10**10, "budget.tokens": 10**15,
    "hardware.memory_gb": 10**5, "hardware.num_devices": 10**6, "hardware.max_batch_size": 10**9,
    "hardware.global_batch_size": 10**9, "hardware.gradient_accumulation_steps": 10**6,
}


def _bounded(path: str, description: str, default: Any = None, **more: Any) -> Any:
    """A numeric field's Field: its ceiling from LIMITS, stated in its description."""
    limit = LIMITS[path]
    ceiling = f"10^{len(str(int(limit))) - 1}" if limit >= 10**4 else f"{limit:g}"
    return Field(default=default, le=limit, description=f"{description} At most {ceiling}.", **more)


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
    num_samples: PositiveInt = _bounded(
        "data.num_samples",
        "Training examples: images, sentences, sequences of sequence_length tokens, utterances.", ...)
    num_classes: Annotated[int, Field(ge=2)] | None = _bounded(
        "data.num_classes", "Classes for classification-like tasks; absent for regression.")
    imbalance_ratio: Annotated[float, Field(ge=1.0)] = _bounded(
        "data.imbalance_ratio", "Largest class count divided by the smallest (1 = balanced).", 1.0,
        allow_inf_nan=False)
    sparse_features: bool = False
    sequence_length: PositiveInt | None = _bounded(
        "data.sequence_length", "Tokens (or frames) per example; text, sequence and audio data.")
    num_tokens: PositiveInt | None = _bounded(
        "data.num_tokens", "Training tokens in the dataset (language models).")


class Finetuning(_Frozen):
    method: Choice[FinetuneMethod] = Field(
        default="full", description="full | linear_probe | lora | qlora | adapters"
    )
    lora_rank: PositiveInt | None = _bounded("model.finetuning.lora_rank", "LoRA rank r (lora, qlora).")


class Model(_Frozen):
    family: Choice[ModelFamily]
    kind: Choice[ModelKind] | None = Field(
        default=None, description="Transformer layout: encoder, decoder or encoder_decoder."
    )
    num_params: PositiveInt | None = _bounded("model.num_params", "Trainable parameters.")
    depth: PositiveInt | None = _bounded("model.depth", "Number of weight layers (or blocks).")
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
    trials: PositiveInt = _bounded("budget.trials", "How many training runs the search may use.", 20)
    epochs: PositiveInt | None = _bounded("budget.epochs", "Epochs per run.")
    steps: PositiveInt | None = _bounded("budget.steps", "Optimizer steps per run.")
    tokens: PositiveInt | None = _bounded("budget.tokens", "Training tokens per run.")


class Hardware(_Frozen):
    device: Choice[Device] = "gpu"
    memory_gb: Annotated[float, Field(gt=0)] | None = _bounded(
        "hardware.memory_gb", "Memory of one device, in GB.", allow_inf_nan=False)
    num_devices: PositiveInt = _bounded("hardware.num_devices", "Devices training together.", 1)
    max_batch_size: PositiveInt | None = _bounded(
        "hardware.max_batch_size", "Largest batch that fits in one device's memory.")
    precision: Choice[Precision] | None = Field(default=None, description="fp32 | tf32 | fp16 | bf16")
    global_batch_size: PositiveInt | None = _bounded(
        "hardware.global_batch_size",
        "Samples per optimizer step over all devices and accumulation, when you fix it.")
    gradient_accumulation_steps: PositiveInt | None = _bounded(
        "hardware.gradient_accumulation_steps", "Micro-batches per optimizer step.")


class Profile(_Frozen):
    """A project, as the advisor needs to know it."""

    name: str | None = Field(default=None, max_length=200)
    task: Choice[TaskType]
    data: Data
    model: Model
    optimizer: Choice[OptimizerName] | None = Field(default=None, description="Preferred optimizer.")
    learning_rate: Annotated[float, Field(gt=0)] | None = _bounded(
        "learning_rate", "The learning rate you use now, if any (checked against probes).",
        allow_inf_nan=False)
    loss: Loss = Loss()
    budget: Budget = Budget()
    hardware: Hardware = Hardware()

    @model_validator(mode="before")
    @classmethod
    def _within_bounds(cls, data: Any) -> Any:
        """The document boundary, before any field is read (so for HTTP bodies too): text that cannot
        be encoded, absurd nesting or key counts are refused at their location, as field problems."""
        problems = document_problems(data, max_keys=MAX_KEYS) if isinstance(data, dict) else []
        if problems:
            raise ValidationError.from_exception_data("Profile", [
                InitErrorDetails(type=PydanticCustomError("invalid_input", message), loc=loc, input=None)
                for loc, message in problems
            ])
        return data

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
    for n, item in enumerate(errors):
        if n == MAX_PROBLEMS:  # bounded output: the first ones say what is wrong
            problems.append(FieldProblem((), f"... and {len(errors) - MAX_PROBLEMS} more problem(s)"))
            break
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
            message = f"{message} (got {shown(item['input'])})"
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
    """Read a YAML or JSON profile file (a regular file of at most MAX_PROFILE_BYTES); errors name
    the file and the line."""
    return load_document(path, MAX_PROFILE_BYTES, "profile")


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file (YAML or JSON)."""
    path = Path(path)
    return parse_profile(read_document(path), source=str(path))
