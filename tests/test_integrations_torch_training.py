"""build_training against hand-built torch equivalents: the same LR at every step, the same groups."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.optim import lr_scheduler as S  # noqa: E402

from advisor import load_profile, recommend  # noqa: E402
from advisor.errors import IntegrationError  # noqa: E402
from advisor.integrations.torch_training import build_training, head_names  # noqa: E402

STEPS_PER_EPOCH, EPOCHS = 7, 6
TOTAL = STEPS_PER_EPOCH * EPOCHS


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3))


def _lrs_of(plan_or_opt, scheduler_step, steps: int = TOTAL) -> list[float]:
    out = []
    for _ in range(steps):
        out.append(plan_or_opt.param_groups[0]["lr"])
        plan_or_opt.step()
        scheduler_step()
    return out


def _plan_lrs(config: dict, **kw) -> list[float]:
    model = _net()
    plan = build_training(config, model, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS, **kw)
    out = []
    for _ in range(TOTAL):
        out.append(plan.optimizer.param_groups[0]["lr"])
        plan.step()
    return out


def _hand(make) -> list[float]:
    model = _net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = make(opt)
    return _lrs_of(opt, sched.step)


def _close(a: list[float], b: list[float]) -> None:
    assert len(a) == len(b)
    for step, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x == pytest.approx(y, rel=1e-9, abs=1e-12), f"step {step}: {x} != {y}"


BASE = {"optimizer": "sgd", "learning_rate": 0.1}
W = 5


def _warm(opt):  # warmup as documented: (s + 1) / W, hand-built from LinearLR
    return S.LinearLR(opt, start_factor=1 / W, end_factor=1.0, total_iters=W - 1)


def test_constant_and_warmup_match_linear_lr() -> None:
    _close(_plan_lrs({**BASE, "lr_schedule": {"name": "constant"}}), _hand(lambda o: S.ConstantLR(o, 1.0, 0)))
    _close(_plan_lrs({**BASE, "lr_schedule": {"name": "constant"}, "warmup_steps": W}), _hand(_warm))


def test_cosine_with_floor_after_warmup_matches_sequential_lr() -> None:
    def make(opt):
        cos = S.CosineAnnealingLR(opt, T_max=TOTAL - W, eta_min=0.1 * 0.1)
        return S.SequentialLR(opt, [_warm(opt), cos], milestones=[W])

    _close(
        _plan_lrs({**BASE, "lr_schedule": {"name": "cosine", "min_lr_ratio": 0.1}, "warmup_steps": W}),
        _hand(make),
    )


def test_warmup_ratio_and_epochs_are_converted_to_steps() -> None:
    ratio = {**BASE, "lr_schedule": {"name": "constant"}, "warmup_ratio": W / TOTAL}
    epochs = {**BASE, "lr_schedule": {"name": "constant"}, "warmup_epochs": 1}
    _close(_plan_lrs(ratio), _hand(_warm))
    _close(_plan_lrs(epochs), _hand(lambda o: S.LinearLR(o, 1 / STEPS_PER_EPOCH, 1.0, STEPS_PER_EPOCH - 1)))


def test_linear_decay_to_zero_matches_linear_lr() -> None:
    def make(opt):
        lin = S.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=TOTAL - W)
        return S.SequentialLR(opt, [_warm(opt), lin], milestones=[W])

    _close(
        _plan_lrs({**BASE, "lr_schedule": {"name": "linear", "end_factor": 0.0}, "warmup_ratio": W / TOTAL}),
        _hand(make),
    )


def test_step_schedule_matches_multistep_lr() -> None:
    fractions = [0.5, 0.75]
    milestones = [round(f * TOTAL) for f in fractions]
    _close(
        _plan_lrs({**BASE, "lr_schedule": {"name": "step", "milestones_fraction": fractions, "gamma": 0.1}}),
        _hand(lambda o: S.MultiStepLR(o, milestones=milestones, gamma=0.1)),
    )


def test_polynomial_matches_polynomial_lr() -> None:
    _close(
        _plan_lrs({**BASE, "lr_schedule": {"name": "polynomial", "power": 0.9}}),
        _hand(lambda o: S.PolynomialLR(o, total_iters=TOTAL, power=0.9)),
    )


def test_exponential_every_epoch_matches_stepped_exponential_lr() -> None:
    _close(
        _plan_lrs({**BASE, "lr_schedule": {"name": "exponential", "gamma": 0.83, "every_epochs": 1}}),
        _hand(lambda o: S.StepLR(o, step_size=STEPS_PER_EPOCH, gamma=0.83)),
    )


def test_exponential_with_a_start_fraction_waits_then_decays_every_epoch() -> None:
    start = round(0.15 * TOTAL)

    def make(opt):
        return S.SequentialLR(
            opt, [S.ConstantLR(opt, 1.0, 0), S.StepLR(opt, STEPS_PER_EPOCH, 0.83)], milestones=[start]
        )

    _close(
        _plan_lrs(
            {
                **BASE,
                "lr_schedule": {
                    "name": "exponential",
                    "gamma": 0.83,
                    "every_epochs": 1,
                    "start_fraction": 0.15,
                },
            }
        ),
        _hand(make),
    )


def test_inverse_sqrt_after_warmup_matches_a_hand_written_lambda() -> None:
    def make(opt):
        return S.LambdaLR(opt, lambda s: (s + 1) / W if s < W else math.sqrt(W / (s + 1)))

    _close(_plan_lrs({**BASE, "lr_schedule": {"name": "inverse_sqrt"}, "warmup_steps": W}), _hand(make))


def test_warmup_stable_decay_splits_the_run_like_the_tri_stage_schedule() -> None:
    warm, decay = round(0.1 * TOTAL), round(0.5 * TOTAL)

    def make(opt):
        lin = S.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=decay)
        flat = S.ConstantLR(opt, 1.0, 0)
        return S.SequentialLR(opt, [_warm_n(opt, warm), flat, lin], milestones=[warm, TOTAL - decay])

    _close(
        _plan_lrs(
            {
                **BASE,
                "lr_schedule": {"name": "warmup_stable_decay", "stable_fraction": 0.4, "decay_fraction": 0.5},
            }
        ),
        _hand(make),
    )


def _warm_n(opt, n):
    return S.LinearLR(opt, start_factor=1 / n, end_factor=1.0, total_iters=n - 1)


def test_linear_decay_over_the_second_half() -> None:
    half = TOTAL // 2

    def make(opt):
        return S.SequentialLR(
            opt, [S.ConstantLR(opt, 1.0, 0), S.LinearLR(opt, 1.0, 0.0, TOTAL - half)], milestones=[half]
        )

    _close(
        _plan_lrs(
            {**BASE, "lr_schedule": {"name": "linear_decay", "end_factor": 0.0, "start_fraction": 0.5}}
        ),
        _hand(make),
    )


def test_reduce_on_plateau_steps_per_epoch_on_the_validation_loss() -> None:
    model = _net()
    plan = build_training(
        {**BASE, "lr_schedule": {"name": "reduce_on_plateau", "factor": 0.3, "patience": 1}},
        model,
        steps_per_epoch=STEPS_PER_EPOCH,
    )
    ref_opt = torch.optim.SGD(_net().parameters(), lr=0.1)
    ref = S.ReduceLROnPlateau(ref_opt, factor=0.3, patience=1)
    for loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.98]:
        for _ in range(STEPS_PER_EPOCH):
            plan.step()
        plan.epoch_end(loss)
        ref.step(loss)
        assert plan.optimizer.param_groups[0]["lr"] == pytest.approx(ref_opt.param_groups[0]["lr"])
    assert plan.optimizer.param_groups[0]["lr"] < 0.1


def test_every_schedule_the_knowledge_base_emits_builds() -> None:
    from pathlib import Path

    for path in sorted(Path("examples").glob("*.yaml")):
        config = recommend(load_profile(path)).config
        model = _net()
        if (config.get("freeze") or {}).get("method") in ("lora", "adapters"):
            model.lora_A = nn.Linear(8, 2, bias=False)  # what peft adds
        plan = build_training(config, model, steps_per_epoch=STEPS_PER_EPOCH, epochs=EPOCHS)
        for _ in range(3):
            plan.step()
        assert plan.optimizer.param_groups[0]["lr"] > 0, path.name


def test_schedules_that_need_the_run_length_say_so() -> None:
    with pytest.raises(IntegrationError, match="epochs"):
        build_training({**BASE, "lr_schedule": {"name": "cosine"}}, _net(), steps_per_epoch=3)


def test_groups_leave_biases_and_norm_weights_undecayed() -> None:
    model = _net()
    plan = build_training(
        {"optimizer": "adamw", "learning_rate": 1e-3, "weight_decay": 0.05}, model, total_steps=10
    )
    decayed = {n for g in plan.groups if g.weight_decay > 0 for n in g.names}
    assert decayed == {"0.weight", "3.weight"}
    hand = torch.optim.AdamW(
        [
            {"params": [model[0].weight, model[3].weight], "weight_decay": 0.05},
            {"params": [model[0].bias, model[1].weight, model[1].bias, model[3].bias], "weight_decay": 0.0},
        ],
        lr=1e-3,
    )
    ours = {id(p): g["weight_decay"] for g in plan.optimizer.param_groups for p in g["params"]}
    theirs = {id(p): g["weight_decay"] for g in hand.param_groups for p in g["params"]}
    assert ours == theirs
    assert isinstance(plan.optimizer, torch.optim.AdamW)


class _Encoder(nn.Module):
    def __init__(self, depth: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(depth))
        self.classifier = nn.Linear(8, 2)


def test_layer_wise_lr_decay_gives_each_block_its_lr() -> None:
    model = _Encoder(depth=4)
    plan = build_training(
        {"optimizer": "adamw", "learning_rate": 1.0, "layer_lr_decay": 0.5}, model, total_steps=10
    )
    lr_of = {n: g.lr for g in plan.groups for n in g.names}
    # L = 4 blocks: head at L + 1 = 5 (lr x 0.5^0), block i at i + 1, embeddings at 0 (lr x 0.5^5)
    assert lr_of["classifier.weight"] == 1.0
    assert lr_of["layers.3.weight"] == 0.5
    assert lr_of["layers.0.weight"] == 0.5**4
    assert lr_of["embed.weight"] == 0.5**5


def test_freeze_stages_switch_at_their_step() -> None:
    model = _Encoder(depth=4)
    config = {
        "optimizer": "sgd",
        "learning_rate": 0.1,
        "freeze": {
            "method": "multi-step",
            "stages": [{"train": "head", "steps": 3}, {"train": "upper_half"}],
        },
    }
    plan = build_training(config, model, total_steps=6)
    trainable = lambda: {n for n, p in model.named_parameters() if p.requires_grad}  # noqa: E731
    assert trainable() == head_names(model) == {"classifier.weight", "classifier.bias"}
    for _ in range(3):
        plan.step()
    assert trainable() == {
        "classifier.weight",
        "classifier.bias",
        "layers.2.weight",
        "layers.2.bias",
        "layers.3.weight",
        "layers.3.bias",
    }


def test_adapters_stage_needs_adapters() -> None:
    config = {
        "optimizer": "adamw",
        "learning_rate": 2e-4,
        "freeze": {"method": "lora", "stages": [{"train": "adapters", "frozen": "base"}]},
    }
    with pytest.raises(IntegrationError, match="lora"):
        build_training(config, _Encoder(), total_steps=5)


def test_clip_bounds_the_gradient_norm() -> None:
    model = _net()
    plan = build_training({**BASE, "grad_clip_norm": 0.01}, model, total_steps=2)
    model(torch.randn(16, 4)).pow(2).sum().mul(100).backward()
    before = plan.clip()
    after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert before > 0.01 and float(after) == pytest.approx(0.01, rel=1e-4)


def test_optimizers_not_in_torch_need_a_factory() -> None:
    with pytest.raises(IntegrationError, match="optimizer_factory"):
        build_training({"optimizer": "lars", "learning_rate": 1.0}, _net(), total_steps=2)
    plan = build_training(
        {"optimizer": "lars", "learning_rate": 1.0},
        _net(),
        total_steps=2,
        optimizer_factory=lambda groups, lr: torch.optim.SGD(groups, lr=lr),
    )
    assert isinstance(plan.optimizer, torch.optim.SGD)
