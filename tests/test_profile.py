from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from advisor import InputFileError, ProfileError, load_profile, parse_profile
from advisor.profile.model import Budget, Data, Finetuning, Hardware, Model, Profile

from .conftest import ALL_PROFILES, base_profile


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.stem)
def test_every_bundled_profile_is_valid(path: Path) -> None:
    assert load_profile(path).task


def test_profile_is_frozen(make_profile) -> None:
    profile = make_profile()
    with pytest.raises(ValidationError):
        profile.task = "regression"  # type: ignore[misc]


def _problems(data: dict) -> dict[str, str]:
    with pytest.raises(ProfileError) as info:
        parse_profile(data)
    return {p.path: p.message for p in info.value.problems}


def test_every_field_problem_is_reported_at_once() -> None:
    data = base_profile(**{"data.num_samples": -5, "model.family": "mlpx", "optimizer": "adma"})
    data["colour"] = "blue"
    problems = _problems(data)
    assert set(problems) == {"data.num_samples", "model.family", "optimizer", "colour"}
    assert "greater than 0" in problems["data.num_samples"] and "-5" in problems["data.num_samples"]
    assert "'adam'" in problems["optimizer"] and "'adma'" in problems["optimizer"]
    assert "'resnet'" in problems["model.family"]
    assert "unknown field" in problems["colour"]


def test_num_classes_on_regression_is_named() -> None:
    problems = _problems(base_profile(task="regression"))
    assert list(problems) == ["data.num_classes"]
    assert "regression" in problems["data.num_classes"]


def test_classification_needs_num_classes() -> None:
    assert list(_problems(base_profile(**{"data.num_classes": None}))) == ["data.num_classes"]


def test_pretrained_needs_similarity() -> None:
    problems = _problems(base_profile(**{"model.pretrained": True}))
    assert list(problems) == ["model.pretrain_similarity"]
    assert "high, low" in problems["model.pretrain_similarity"]


@pytest.mark.parametrize("field,value", [
    ("data.num_samples", "many"), ("budget.trials", 0), ("hardware.num_devices", -1),
    ("data.imbalance_ratio", 0.5), ("hardware.device", "abacus"),
])
def test_bad_values_name_their_field(field: str, value: object) -> None:
    assert list(_problems(base_profile(**{field: value}))) == [field]


def test_not_a_mapping() -> None:
    assert _problems(["a", "list"]) == {"(root)": "a profile is a mapping of fields, got list"}  # type: ignore[arg-type]


def test_json_and_yaml_files(tmp_path: Path) -> None:
    as_json = tmp_path / "p.json"
    as_json.write_text(json.dumps(base_profile()))
    as_yaml = tmp_path / "p.yaml"
    as_yaml.write_text("task: classification\ndata: {modality: tabular, num_samples: 20000, "
                       "num_classes: 3}\nmodel: {family: mlp, depth: 3, activation: relu}\n"
                       "budget: {trials: 20}\n")
    assert load_profile(as_json) == load_profile(as_yaml)


def test_file_errors_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_profile(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: classification\ndata: [unclosed\n")
    with pytest.raises(InputFileError, match=r"bad\.yaml:\d+: invalid YAML"):
        load_profile(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"task": }')
    with pytest.raises(InputFileError, match=r"bad\.json:1: invalid JSON"):
        load_profile(bad_json)


# ---- Profile v2 -------------------------------------------------------------------------------
CONTRADICTIONS = {
    "model.finetuning": ({"model.finetuning": {"method": "lora"}}, "starts from pretrained weights"),
    "data.sequence_length": ({"data.sequence_length": 128}, "not tabular"),
    "model.kind": ({"model.kind": "decoder"}, "family mlp has none"),
    "budget.steps": ({"budget.epochs": 3, "budget.steps": 1000}, "epochs and steps"),
    "model.normalization": ({"model.batchnorm": True, "model.normalization": "layernorm"},
                            "contradicts batchnorm: true"),
    "model.finetuning.lora_rank": ({"model.pretrained": True, "model.pretrain_similarity": "high",
                                    "model.finetuning": {"method": "full", "lora_rank": 8}}, "lora or qlora"),
    "hardware.global_batch_size": ({"hardware.global_batch_size": 512, "hardware.max_batch_size": 16,
                                    "hardware.num_devices": 2, "hardware.gradient_accumulation_steps": 4},
                                   "does not fit"),
}


@pytest.mark.parametrize("field", CONTRADICTIONS)
def test_each_contradiction_is_one_message_at_its_field(field: str) -> None:
    overrides, words = CONTRADICTIONS[field]
    problems = _problems(base_profile(**overrides))
    assert list(problems) == [field] and words in problems[field]


def test_all_contradictions_are_reported_at_once() -> None:
    data = base_profile(task="causal_lm", **{"data.modality": "tabular", "data.sequence_length": 64,
                                             "model.kind": "decoder", "budget.epochs": 2,
                                             "budget.tokens": 10**9})
    problems = _problems(data)
    assert set(problems) == {"data.num_classes", "task", "data.sequence_length", "model.kind",
                             "budget.tokens"}
    assert "vocabulary" in problems["data.num_classes"]


def test_v2_fields_and_v1_spelling(make_profile) -> None:
    profile = make_profile(**{"model.activation": "swish", "model.batchnorm": True,
                              "hardware.precision": "bf16", "hardware.global_batch_size": 256})
    assert profile.model.activation == "silu"  # swish is SiLU
    assert profile.model.norm == "batchnorm"  # profile v1's batchnorm: true
    assert make_profile(**{"model.normalization": "layernorm"}).model.norm == "layernorm"
    lm = parse_profile(base_profile(task="causal_lm", **{
        "data.modality": "text", "data.num_classes": None, "data.sequence_length": 2048,
        "model.family": "transformer", "model.kind": "decoder", "budget.tokens": 10**10}))
    assert lm.budget.tokens == 10**10 and lm.model.kind == "decoder"


def test_contradictions_reach_the_cli_as_one_line_each(cli, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps(base_profile(**{"model.finetuning": {"method": "qlora"},
                                               "model.kind": "encoder"})))
    result = cli("recommend", path)
    assert result.code == 2
    assert "model.finetuning: qlora fine-tuning starts from pretrained weights" in result.err
    assert "model.kind: describes a transformer's layout" in result.err
    assert "Traceback" not in result.err


# ---- Enum values: case, '-' and spaces forgiven; otherwise the allowed values and a hint ------
@pytest.mark.parametrize("field,given,stored", [
    ("optimizer", "AdamW", "adamw"), ("task", "Classification", "classification"),
    ("model.normalization", "Batch-Norm", "batchnorm"), ("model.activation", "Leaky ReLU", "leaky_relu"),
    ("model.activation", "Swish", "silu"), ("model.dropout_placement", "fully-connected", "fully_connected"),
    ("hardware.precision", "BF16", "bf16"), ("hardware.device", " GPU ", "gpu"), ("loss.name", "MSE", "mse"),
    ("data.modality", "Tabular", "tabular"),
])
def test_enum_values_in_any_case_are_stored_canonically(field: str, given: str, stored: str) -> None:
    profile = parse_profile(base_profile(**{field: given}))
    value: object = profile
    for part in field.split("."):
        value = getattr(value, part)
    assert value == stored


def test_every_nested_enum_is_normalised() -> None:
    profile = parse_profile(base_profile(task="causal_lm", **{
        "data.modality": "Text", "data.num_classes": None, "model.family": "Transformer",
        "model.kind": "Encoder-Decoder", "model.pretrained": True, "model.pretrain_similarity": "HIGH",
        "model.finetuning": {"method": "Linear Probe"}}))
    assert (profile.model.family, profile.model.kind, profile.model.pretrain_similarity) == (
        "transformer", "encoder_decoder", "high")
    assert profile.model.finetuning is not None and profile.model.finetuning.method == "linear_probe"


def test_an_unknown_enum_value_lists_the_allowed_ones_and_the_closest() -> None:
    problems = _problems(base_profile(optimizer="adma", **{"model.family": "resnt", "loss.name": "xyzzy"}))
    assert "did you mean 'adam'?" in problems["optimizer"] and "'adafactor'" in problems["optimizer"]
    assert "(got 'adma')" in problems["optimizer"]
    assert "did you mean 'resnet'?" in problems["model.family"]
    assert "did you mean" not in problems["loss.name"] and "'cross_entropy'" in problems["loss.name"]
    assert "'high' or 'low'" in _problems(base_profile(**{
        "model.pretrained": True, "model.pretrain_similarity": "medium"}))["model.pretrain_similarity"]


def test_values_alike_once_folded_are_not_guessed() -> None:
    from advisor.profile.model import _normaliser

    normalise = _normaliser(("a_b", "ab", "c"))
    assert normalise("C") == "c" and normalise("a_b") == "a_b" and normalise(3) == 3
    with pytest.raises(Exception, match="Input should be 'a_b', 'ab' or 'c'"):
        normalise("A-B")


def test_every_literal_field_is_a_choice() -> None:
    """A new Literal field without Choice[...] would be case-sensitive again: none is left out."""
    from typing import Literal, get_args, get_origin

    from pydantic import BaseModel

    from advisor.profile.model import Profile, _Choice

    def literals(annotation: object, choice: bool = False) -> list[tuple[object, bool]]:
        if get_origin(annotation) is Literal:
            return [(annotation, choice)]
        metadata = getattr(annotation, "__metadata__", ())
        marked = choice or any(isinstance(m, _Choice) for m in metadata)
        return [found for arg in get_args(annotation) for found in literals(arg, marked)]

    seen, models = 0, [Profile]
    while models:
        model = models.pop()
        for name, field in model.model_fields.items():
            annotation = field.rebuild_annotation()
            for literal, marked in literals(annotation):
                assert marked, f"{model.__name__}.{name}: {literal} is not a Choice"
                seen += 1
            models += [a for a in (annotation, *get_args(annotation))
                       if isinstance(a, type) and issubclass(a, BaseModel)]
    assert seen >= 13


def test_enum_spelling_through_a_yaml_file(tmp_path: Path, cli) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("task: Classification\ndata: {modality: tabular, num_samples: 20000, num_classes: 3}\n"
                    "model: {family: MLP, depth: 3, activation: ReLU}\noptimizer: AdamW\n")
    assert load_profile(path).optimizer == "adamw"
    path.write_text(path.read_text().replace("AdamW", "adma"))
    result = cli("recommend", path)
    assert result.code == 2 and "optimizer: " in result.err and "did you mean 'adam'?" in result.err


def test_every_numeric_field_has_a_ceiling_it_states() -> None:
    # Numbers are bounded where they enter: over the ceiling is a problem at that field (never an
    # OverflowError later), and the field's description says the ceiling.
    from advisor.profile.model import LIMITS

    for path, limit in LIMITS.items():
        section, _, leaf = path.rpartition(".")
        model = {"": Profile, "data": Data, "model": Model, "budget": Budget, "hardware": Hardware,
                 "model.finetuning": Finetuning}[section]
        assert "At most" in (model.model_fields[leaf].description or ""), path
        lora = "finetuning" in path
        extra = {"model.pretrained": True, "model.pretrain_similarity": "high"} if lora else {}
        for value in (int(limit) + 1, 10**4000, float("inf"), float("nan")):
            if isinstance(value, float) and path not in ("learning_rate", "data.imbalance_ratio",
                                                         "hardware.memory_gb"):
                continue
            with pytest.raises(ProfileError) as err:
                parse_profile(base_profile(**{path: value}, **extra))
            assert [p.path for p in err.value.problems] == [path], (path, value)
            assert len(str(err.value)) < 400
