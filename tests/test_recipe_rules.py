"""Today's recipe families (rules/advisor_rules/recipes.yaml and the rules that test `recipe`), checked
against the values their cited sources state."""

from __future__ import annotations

import math

import pytest

from advisor import parse_profile, recommend

from .conftest import base_profile


def _dim(rec, name):
    return next(d for d in rec.ranges if d.name == name)


def test_bert_fine_tuning_follows_the_bert_recipe(profiles) -> None:
    rec = recommend(profiles["bert-finetune-sentiment"])
    c = rec.config
    assert rec.facts["recipe"] == "encoder_finetune"
    assert c["optimizer"] == "adamw" and c["learning_rate"] == 2e-5
    lr = _dim(rec, "learning_rate")
    assert (lr.low, lr.high) == (1e-5, 1e-4)  # BERT's and RoBERTa's grids, ELECTRA's 1e-4
    assert c["lr_schedule"]["name"] == "linear" and c["warmup_ratio"] == 0.1
    assert c["grad_clip_norm"] == 1.0 and c["dropout"] == 0.1 and c["weight_decay"] == 0.01
    assert c["freeze"] == {"method": "one-step", "stages": [{"train": "all"}]}
    assert "early_stopping_patience" not in c  # 3 epochs: keep the best checkpoint instead
    texts = " ".join(a.text for a in rec.advice)
    assert "only the output layer" not in texts and "Fine-tune all layers" in texts


def test_llm_pretraining_uses_the_compute_optimal_fit(profiles) -> None:
    rec = recommend(profiles["llm-pretrain-1b"])
    compute = 6 * 1.3e9 * 26e9
    assert rec.config["learning_rate"] == pytest.approx(0.3118 * compute ** -0.125, rel=1e-3)
    assert rec.config["batch_size"] == round(0.292 * compute ** 0.3271 / 2048)
    assert rec.config["beta2"] == 0.95 and rec.config["weight_decay"] == 0.1
    assert rec.config["lr_schedule"] == {"name": "cosine", "min_lr_ratio": 0.1}
    assert rec.config["warmup_steps"] == 2000 and rec.config["grad_clip_norm"] == 1.0
    assert "early_stopping_patience" not in rec.config  # one pass over the tokens
    assert "schedule.c7.recipes-keep-warmup" in rec.fired  # trials 1: still warm up (C7)


def test_llm_at_a_fixed_batch_moves_the_lr_by_the_square_root(profiles) -> None:
    rec = recommend(profiles["llm-pretrain-fixed-batch"])
    compute = 6 * 3e9 * 7e10
    optimum = 0.3118 * compute ** -0.125
    batch_tokens = 0.292 * compute ** 0.3271
    assert rec.config["batch_size"] == 1024
    assert rec.config["learning_rate"] == pytest.approx(optimum * math.sqrt(1024 * 2048 / batch_tokens),
                                                        rel=1e-3)
    assert rec.config["gradient_accumulation_steps"] == 2  # 1024 / (4 x 128 devices)
    assert any("loss scaling" in a.text for a in rec.advice)  # fp16


def test_llm_without_a_token_budget_falls_back_to_gpt3_sizes(profiles) -> None:
    rec = recommend(profiles["llm-pretrain-epochs-unknown"])
    assert rec.config["learning_rate"] == pytest.approx(1.8e-4 * (3.5e8 / 2.5e9) ** -0.3, rel=1e-3)


def test_qlora(profiles) -> None:
    rec = recommend(profiles["llm-qlora-instruct"])
    c = rec.config
    assert (c["learning_rate"], c["batch_size"], c["grad_clip_norm"]) == (2e-4, 16, 0.3)
    assert c["lora_rank"] == 64 and c["lr_schedule"] == {"name": "constant"}
    assert not any(k.startswith("warmup") for k in c)
    assert c["freeze"]["stages"] == [{"train": "adapters", "frozen": "base"}]
    big = recommend(parse_profile(base_profile(task="causal_lm", **{
        "data.modality": "text", "data.num_classes": None, "model.family": "transformer",
        "model.num_params": 65_000_000_000, "model.pretrained": True, "model.pretrain_similarity": "high",
        "model.finetuning": {"method": "qlora"}})))
    assert big.config["learning_rate"] == 1e-4  # QLoRA halves it for 33B/65B


def test_large_batch_resnet_scales_linearly_with_warmup(profiles) -> None:
    rec = recommend(profiles["resnet-huge-given-batch"])
    assert rec.config["batch_size"] == 8192 and rec.config["learning_rate"] == pytest.approx(3.2)
    assert rec.config["warmup_epochs"] == 5
    assert "batch_size" not in {d.name for d in rec.search_space}  # the profile fixed it


def test_cifar_resnets_keep_0_1_below_256_and_deep_ones_warm_up(profiles) -> None:
    rec = recommend(profiles["cifar10-resnet-sgd"])
    assert rec.config["learning_rate"] == 0.1 and rec.config["batch_size"] == 128
    assert rec.config["lr_schedule"]["name"] == "step"
    assert recommend(profiles["resnet110-cifar"]).config["warmup_epochs"] == 1


def test_data_parallel_batch_grows_with_devices(profiles) -> None:
    rec = recommend(profiles["vit-small-imagenet"])
    assert rec.config["batch_size"] == 1024  # 128 per GPU x 8
    assert rec.config["learning_rate"] == pytest.approx(5e-4 * math.sqrt(1024 / 512), rel=1e-3)
    assert rec.config["warmup_epochs"] == 5 and rec.config["label_smoothing"] == 0.1


def test_open_optimizer_choices(make_profile) -> None:
    def chosen(**overrides: object) -> str:
        return recommend(make_profile(**overrides)).config["optimizer"]

    assert chosen() == "adamw"  # C14: Adam with decoupled decay by default
    assert chosen(**{"model.family": "transformer"}) == "adamw"
    assert chosen(**{"model.family": "resnet", "model.batchnorm": True, "data.modality": "image",
                     "data.num_samples": 60000}) == "momentum"
    mobile = {"model.family": "mobilenet", "model.batchnorm": True, "data.modality": "image"}
    assert chosen(**mobile) == "rmsprop"


def test_betas_per_family(profiles) -> None:
    assert recommend(profiles["translation-transformer"]).config["beta2"] == 0.98
    gan = recommend(profiles["gan-dcgan"])
    assert gan.config["beta1"] == 0.5 and _dim(gan, "beta1").low == 0.0  # WGAN-GP's beta1 = 0 is in range
    assert "beta2" in {d.name for d in recommend(profiles["tabular-transformer-40"]).search_space}


def test_recurrent_language_models(profiles) -> None:
    rec = recommend(profiles["lstm-language-model"])
    assert rec.config["optimizer"] == "sgd" and rec.config["learning_rate"] == 1.0
    assert rec.config["grad_clip_norm"] == 5.0
    assert not any("samples per class" in a.text for a in rec.advice)  # no bogus class warning


def test_detection_scales_0_02_per_16_images(profiles) -> None:
    rec = recommend(profiles["detection-focal"])  # 8 GPUs, 4 per device fit
    assert rec.config["batch_size"] == 16 and rec.config["learning_rate"] == pytest.approx(0.02)
    assert rec.config["warmup_steps"] == 1000 and rec.config["weight_decay"] == 1e-4


def test_patience_stays_below_the_epoch_budget(make_profile) -> None:
    for epochs in (6, 10, 20, 39):
        patience = recommend(make_profile(**{"budget.epochs": epochs})).config["early_stopping_patience"]
        assert patience <= epochs / 4 + 1


def test_the_seed_tables_follow_the_global_batch_too(make_profile) -> None:
    """No recipe family: Adam's 1e-3 grows with the square root above 256, SGD's linearly."""
    text = {"data.modality": "text"}  # tabular MLPs follow the tuning data's batch instead
    adam = recommend(make_profile(**{"hardware.num_devices": 8, "hardware.max_batch_size": 128}, **text))
    assert adam.config["batch_size"] == 1024 and adam.config["optimizer"] == "adamw"
    assert adam.config["learning_rate"] == pytest.approx(2e-3)
    assert (_dim(adam, "learning_rate").low, _dim(adam, "learning_rate").high) == pytest.approx((2e-4, 2e-2))
    sgd = recommend(make_profile(optimizer="momentum", **{"hardware.global_batch_size": 1024}, **text))
    assert sgd.config["learning_rate"] == pytest.approx(1.2e-2)  # 3e-3 x 4
    small = recommend(make_profile(**{"hardware.global_batch_size": 64}, **text))
    assert small.config["learning_rate"] == 1e-3  # below 256 the seed value stands
