from __future__ import annotations

import json
import random
from typing import Any

import pytest

from advisor import Recommendation, parse_profile, recommend
from advisor.core.params import PARAMS

from .conftest import ALL_PROFILES, base_profile

CONTRACT_KEYS = ["config", "search_space", "advice", "explanations", "probes"]


def assert_contract(rec: Recommendation) -> None:
    data = json.loads(rec.to_json())
    assert list(data)[:5] == CONTRACT_KEYS
    assert set(data["config"]) <= set(PARAMS)
    for dim in data["search_space"]:
        name = dim["name"]
        default = data["config"][name]
        if dim["type"] == "categorical":
            assert default in dim["categories"], (name, default, dim)
        else:
            assert dim["low"] <= default <= dim["high"], (name, default, dim)
            assert dim["prior"] in ("uniform", "log-uniform")
            if dim["prior"] == "log-uniform":
                assert dim["low"] > 0
            if dim["type"] == "integer":
                assert isinstance(dim["low"], int) and isinstance(dim["high"], int)
    for name in data["config"]:
        assert data["explanations"][name], f"{name} has no explanation"
    for item in data["advice"]:
        assert item["severity"] in ("info", "warning", "critical") and item["source"]


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.stem)
def test_bundled_profiles_meet_the_contract(path, profiles) -> None:
    assert_contract(recommend(profiles[path.stem]))


def _random_profile(rng: random.Random) -> dict[str, Any]:
    """A valid profile v2 drawn at random: every field, only the combinations that may coexist."""
    task = rng.choice(["classification", "regression", "detection", "segmentation", "generation",
                       "metric_learning", "causal_lm", "masked_lm", "seq2seq"])
    language = task in ("causal_lm", "masked_lm", "seq2seq")
    pretrained = rng.random() < 0.4
    modality = rng.choice(["text", "sequence", "audio"] if language else
                          ["image", "text", "tabular", "sequence", "audio"])
    data: dict[str, Any] = {"modality": modality,
                            "num_samples": int(10 ** rng.uniform(1, 8)),
                            "imbalance_ratio": round(10 ** rng.uniform(0, 3), 2),
                            "sparse_features": rng.random() < 0.2}
    if not language and task != "regression" and (task == "classification" or rng.random() < 0.5):
        data["num_classes"] = rng.randint(2, 2000)
    sequential = modality in ("text", "sequence", "audio")
    if sequential and rng.random() < 0.5:
        data["sequence_length"] = rng.choice([32, 128, 512, 2048])
    if sequential and rng.random() < 0.3:
        data["num_tokens"] = int(10 ** rng.uniform(6, 12))
    family = rng.choice(["mlp", "cnn", "resnet", "mobilenet", "rnn", "lstm", "gru", "transformer", "vit",
                         "gan"])
    model: dict[str, Any] = {
        "family": family, "batchnorm": rng.random() < 0.3, "pretrained": pretrained,
        "dropout_placement": rng.choice(["none", "fully_connected", "input_output",
                                         "before_batchnorm", "recurrent_cell", "convolutional"]),
    }
    if not model["batchnorm"] and rng.random() < 0.5:
        model["normalization"] = rng.choice(["batchnorm", "layernorm", "rmsnorm", "groupnorm", "none"])
    if family in ("transformer", "vit") and rng.random() < 0.6:
        model["kind"] = rng.choice(["encoder", "decoder", "encoder_decoder"])
    if pretrained:
        model["pretrain_similarity"] = rng.choice(["high", "low"])
        if rng.random() < 0.5:
            method = rng.choice(["full", "linear_probe", "lora", "qlora", "adapters"])
            model["finetuning"] = {"method": method}
            if method in ("lora", "qlora") and rng.random() < 0.5:
                model["finetuning"]["lora_rank"] = rng.choice([4, 8, 64])
    for key, value in (("num_params", int(10 ** rng.uniform(3, 11))), ("depth", rng.randint(1, 200)),
                       ("activation", rng.choice(["relu", "leaky_relu", "gelu", "silu", "swish", "swiglu",
                                                  "relu6", "elu", "tanh", "sigmoid"]))):
        if rng.random() < 0.7:
            model[key] = value
    budget: dict[str, Any] = {"trials": rng.choice([1, 2, 3, 5, 9, 10, 25, 30, 100])}
    unit = rng.choice(["epochs", "epochs", "steps", "tokens" if sequential else "epochs", None])
    if unit is not None:
        budget[unit] = {"epochs": rng.randint(1, 300), "steps": int(10 ** rng.uniform(2, 6)),
                        "tokens": int(10 ** rng.uniform(7, 13))}[unit]
    hardware: dict[str, Any] = {"num_devices": rng.choice([1, 1, 2, 8, 64]),
                                "device": rng.choice(["cpu", "gpu", "tpu"])}
    if rng.random() < 0.3:
        hardware["precision"] = rng.choice(["fp32", "tf32", "fp16", "bf16"])
    if rng.random() < 0.6:
        hardware["max_batch_size"] = rng.choice([1, 2, 3, 8, 16, 100, 512, 4096])
    if rng.random() < 0.3:
        hardware["global_batch_size"] = rng.choice([8, 32, 256, 1024, 8192])
    elif rng.random() < 0.2:
        hardware["gradient_accumulation_steps"] = rng.choice([2, 4])
    profile: dict[str, Any] = {
        "task": task, "data": data, "model": model,
        "loss": {"name": rng.choice(["cross_entropy", "bce", "mse", "focal", "n_pair", "triplet",
                                     "wasserstein", "ctc", "hinge"]), "auxiliary": rng.random() < 0.3},
        "budget": budget, "hardware": hardware,
    }
    if rng.random() < 0.5:
        profile["optimizer"] = rng.choice(["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop",
                                           "adagrad", "adadelta", "adamax", "nadam", "lamb", "lars",
                                           "adafactor"])
    return profile


def test_contract_holds_on_500_random_profiles() -> None:
    rng = random.Random(20261123)
    for _ in range(500):
        raw = _random_profile(rng)
        rec = recommend(parse_profile(raw))
        assert_contract(rec)
        assert rec.config["optimizer"] == raw.get("optimizer", rec.config["optimizer"])


@pytest.mark.parametrize("modality,trials,expected", [
    ("text", 1, []),
    ("text", 5, ["learning_rate"]),
    ("text", 20, ["learning_rate", "batch_size"]),
    ("text", 40, ["learning_rate", "batch_size", "weight_decay", "dropout", "input_dropout"]),
    # tabular MLPs: the tuning data put weight decay and dropout in the second tier (SRCH-01 vs evidence)
    ("tabular", 5, ["learning_rate"]),
    ("tabular", 20, ["learning_rate", "batch_size", "weight_decay", "dropout"]),
    ("tabular", 40, ["learning_rate", "batch_size", "weight_decay", "dropout"]),
])
def test_search_space_grows_with_the_trial_budget(modality: str, trials: int, expected: list[str]) -> None:
    rec = recommend(parse_profile(base_profile(optimizer="adam", **{"budget.trials": trials,
                                                                    "data.modality": modality})))
    assert [d.name for d in rec.search_space] == expected
    # OPT-02: Adam's betas/eps are in the config but never searched.
    assert rec.config["beta1"] == 0.9 and rec.config["beta2"] == 0.999 and rec.config["eps"] == 1e-8


def test_momentum_enters_with_the_second_tier() -> None:
    few = recommend(parse_profile(base_profile(optimizer="momentum", **{"budget.trials": 5})))
    some = recommend(parse_profile(base_profile(optimizer="momentum", **{"budget.trials": 15})))
    assert "momentum" not in {d.name for d in few.search_space}
    assert "momentum" in {d.name for d in some.search_space}


def test_fine_tuning_lowers_the_learning_rate() -> None:
    scratch = recommend(parse_profile(base_profile(optimizer="adam", **{"data.modality": "image"})))
    tuned = recommend(parse_profile(base_profile(optimizer="adam", **{
        "data.modality": "image", "model.pretrained": True, "model.pretrain_similarity": "high"})))
    assert tuned.config["learning_rate"] == pytest.approx(scratch.config["learning_rate"] / 10)
    lr_dim = next(d for d in tuned.search_space if d.name == "learning_rate")
    assert (lr_dim.low, lr_dim.high) == (1e-6, 1e-3)


def test_conflict_resolutions_are_visible(profiles, make_profile) -> None:
    seeds = recommend(make_profile(optimizer="adam", **{"data.modality": "text"}))  # off the tuning data
    wd = seeds.explanations["weight_decay"]
    assert seeds.config["weight_decay"] == 5e-4
    assert any(e.rule == "reg.c1.resolution" and not e.overridden_by for e in wd)
    assert any(e.rule == "reg.weight-decay.table-range" and e.overridden_by == "reg.c1.resolution"
               for e in wd)
    assert seeds.config["dropout"] == 0.5 and seeds.config["input_dropout"] == 0.2  # C2 for an MLP
    rec = recommend(profiles["tabular-mlp-adam"])
    assert rec.config["learning_rate"] == 1e-3  # C3: Adam starts at 1e-3 ...
    lr = next(d for d in rec.search_space if d.name == "learning_rate")
    assert (lr.low, lr.high, lr.prior) == (1e-4, 1e-2, "log-uniform")  # ... 3e-4 stays reachable
    # C1 and C2 on tabular MLPs: the tuning data win, and the seeds' values are shown as overridden
    wd = rec.explanations["weight_decay"]
    assert rec.config["weight_decay"] == 1e-8
    assert any(e.rule == "reg.c1.resolution" and e.overridden_by == "reg.c1.evidence.tabular-mlp-adaptive"
               for e in wd)
    assert rec.config["dropout"] == 0.0 and "input_dropout" not in rec.config
    assert any(e.rule == "reg.c2.mlp" and e.overridden_by == "reg.c2.evidence.tabular-mlp"
               for e in rec.explanations["dropout"])


def test_memory_caps_the_batch(make_profile) -> None:
    rec = recommend(make_profile(**{"hardware.max_batch_size": 100, "data.modality": "text"}))
    assert rec.config["batch_size"] == 64
    # The choices keep their number, halving below the ceiling.
    assert next(d for d in rec.search_space if d.name == "batch_size").categories == (16, 32, 64)


def test_special_regimes(profiles) -> None:
    tiny = recommend(profiles["segmentation-batch2-bn"])
    assert tiny.config["batch_size"] == 2 and tiny.config["normalization"] == "groupnorm"
    assert tiny.config["gradient_accumulation_steps"] == 16
    assert tiny.advice[0].severity == "critical"
    huge = recommend(profiles["imagenet-large-batch"])
    assert huge.config["batch_size"] == 8192 and huge.config["warmup_epochs"] == 5
    assert huge.config["learning_rate"] == pytest.approx(3.2)  # 0.05 per 128 x 64
    gan = recommend(profiles["gan-dcgan"])
    assert gan.config["optimizer"] == "adam" and gan.config["learning_rate"] == 1e-4
    assert gan.config["lr_schedule"]["name"] == "constant"  # C12: the published GAN recipes


def test_recommendation_is_frozen(profiles) -> None:
    rec = recommend(profiles["tiny-regression"])
    with pytest.raises(Exception, match="frozen"):
        rec.config = {}  # type: ignore[misc]


def test_probe_measurements_change_the_recommendation(probe_cases) -> None:
    case = probe_cases["mlp-adam-measured"]
    without, with_probes = recommend(case.profile), recommend(case.profile, case.probes)
    assert without.config["learning_rate"] != with_probes.config["learning_rate"]
    assert with_probes.config["learning_rate"] == 0.009006
    lr = next(d for d in with_probes.search_space if d.name == "learning_rate")
    assert lr.low == pytest.approx(0.009006 / 3.16, rel=1e-3) and lr.high <= 0.2783
    assert {a.id for a in with_probes.advice if a.severity == "critical"} == {
        "probe.lr.user-above-divergence"}
    assert with_probes.probes["lr_range"]["suggested_lr"] == 0.009006


def test_low_confidence_widens_the_range_and_batchnorm_sgd_takes_the_probe_as_is(probe_cases) -> None:
    case = probe_cases["cnn-sgd-low-confidence"]
    bn = recommend(case.profile, case.probes)
    # The BatchNorm + SGD x2 factor was removed (worse on unseen tasks): the probe's answer stands.
    assert bn.config["learning_rate"] == pytest.approx(0.0065, rel=1e-3)
    lr = next(d for d in bn.search_space if d.name == "learning_rate")
    assert (lr.low, lr.high) == (pytest.approx(0.00343 / 2, rel=1e-3), pytest.approx(0.0822, rel=1e-3))
    assert any(a.id == "probe.batch.nothing-fits" for a in bn.advice)


def test_no_valley_falls_back_to_rules_and_a_tiny_ceiling_triggers_bs04(probe_cases) -> None:
    case = probe_cases["lstm-no-valley"]
    rec = recommend(case.profile, case.probes)
    assert rec.config["learning_rate"] == recommend(case.profile).config["learning_rate"]
    assert any(a.id == "probe.lr.no-valley" for a in rec.advice)
    assert rec.config["batch_size"] == 2 and rec.config["normalization"] == "groupnorm"
    assert rec.facts["batch_regime"] == "tiny"


def test_probe_results_are_validated(profiles) -> None:
    from advisor import ProfileError

    with pytest.raises(ProfileError, match=r"lr_range\.status"):
        recommend(profiles["tiny-regression"], {"lr_range": {"status": "great", "optimizer": "adam"}})


def test_recurrent_nets_start_below_the_ramp_and_saturating_nets_take_it_as_is(probe_cases) -> None:
    lstm = probe_cases["lstm-measured"]
    rec = recommend(lstm.profile, lstm.probes)
    assert rec.config["learning_rate"] == pytest.approx(lstm.probes["lr_range"]["min_loss_lr"] / 25, rel=1e-3)
    tanh = probe_cases["tanh-mlp-measured"]  # the tanh/sigmoid /50 factor was removed out of sample
    rec = recommend(tanh.profile, tanh.probes)
    assert rec.config["learning_rate"] == pytest.approx(tanh.probes["lr_range"]["suggested_lr"], rel=1e-3)


def test_every_numeric_field_at_its_ceiling_recommends() -> None:
    # The profile's bounds (LIMITS) are where numbers enter; at each ceiling the rules' arithmetic
    # with floats must still hold (no OverflowError) and the contract too.
    from advisor.profile.model import LIMITS

    rng = random.Random(15)
    for _ in range(60):
        raw = _random_profile(rng)
        for path, limit in LIMITS.items():
            *parents, leaf = path.split(".")
            node = raw
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and (leaf in node or leaf in ("num_samples", "max_batch_size")):
                node[leaf] = limit if isinstance(node.get(leaf), float) else int(limit)
        raw["hardware"].pop("global_batch_size", None)
        try:
            profile = parse_profile(raw)
        except Exception as exc:  # a contradiction the ceilings made (e.g. two budgets): skip
            assert "invalid profile" in str(exc)
            continue
        assert_contract(recommend(profile))


def test_a_cap_beyond_the_float_range_is_no_cap() -> None:
    from advisor.core.assembly import ParamAssembly

    param = ParamAssembly(PARAMS["batch_size"], {})
    param.default, param.choices = 64, [32, 64, 128]
    param.cap(None, "max_batch_size", 10**4000)  # type: ignore[arg-type]  # math.isfinite would raise
    assert (param.default, param.choices) == (64, [32, 64, 128])
