"""AdvisorCallback with a real lightning Trainer on CPU: the config applied, probes at fit start,
the history written and diagnosed at the end."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from advisor.evidence.history import load_history  # noqa: E402
from advisor.integrations.lightning_callback import AdvisorCallback, advisor_optimizers  # noqa: E402
from advisor.integrations.torch_training import lr_lambda  # noqa: E402
from advisor.profile.model import parse_profile  # noqa: E402

PROFILE = {
    "task": "classification",
    "data": {"modality": "tabular", "num_samples": 256, "num_classes": 3},
    "model": {"family": "mlp", "num_params": 1000, "depth": 2},
    "optimizer": "adamw",
    "budget": {"trials": 1, "epochs": 3},
}


class Classifier(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
        self.loss_fn = nn.CrossEntropyLoss()
        self.lrs: list[float] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", self.loss_fn(self(x), y))

    def configure_optimizers(self):  # what the callback replaces
        return torch.optim.SGD(self.parameters(), lr=123.0)


def _data(n: int = 256, batch: int = 32) -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, generator=g)


def _trainer(tmp_path, callback, epochs: int = 3) -> L.Trainer:
    return L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )


def test_the_callback_trains_with_the_recommended_optimizer_and_schedule(tmp_path) -> None:
    callback = AdvisorCallback(parse_profile(PROFILE), out_dir=tmp_path / "advisor")
    module = Classifier()
    trainer = _trainer(tmp_path, callback)
    trainer.fit(module, _data(), _data(64))
    config = callback.recommendation.config
    assert isinstance(trainer.optimizers[0], torch.optim.AdamW)
    # every step's LR is the plan's: learning_rate x the schedule's multiplier at that step
    steps = trainer.global_step
    expected = [config["learning_rate"] * lr_lambda(config, steps, steps // 3)(s) for s in range(steps)]
    assert module.lrs == pytest.approx(expected)
    decays = {g["weight_decay"] for g in trainer.optimizers[0].param_groups}
    assert 0.0 in decays  # biases train without weight decay


class UsesTheHelper(Classifier):
    def configure_optimizers(self):
        return advisor_optimizers(self)


def test_history_and_diagnosis_are_written_at_fit_end(tmp_path) -> None:
    callback = AdvisorCallback(parse_profile(PROFILE), out_dir=tmp_path / "advisor")
    trainer = _trainer(tmp_path, callback)
    trainer.fit(UsesTheHelper(), _data(), _data(64))
    assert isinstance(trainer.optimizers[0], torch.optim.AdamW)
    history = load_history(callback.history_path)
    assert len(history) == 3 and {"train_loss", "val_loss", "lr"} <= set(history.columns)
    saved = json.loads((tmp_path / "advisor" / "diagnosis.json").read_text())
    assert callback.diagnosis is not None and saved["verdicts"][0]["name"] == callback.diagnosis.top


def test_a_given_config_with_clipping_and_a_diverging_lr_is_diagnosed(tmp_path) -> None:
    config = {
        "optimizer": "sgd",
        "learning_rate": 50.0,
        "grad_clip_norm": 1e6,
        "lr_schedule": {"name": "constant"},
    }
    callback = AdvisorCallback(config=config, out_dir=tmp_path / "advisor")
    _trainer(tmp_path, callback, epochs=4).fit(Classifier(), _data(), _data(64))
    assert callback.plan.grad_clip_norm == 1e6
    assert callback.diagnosis is not None
    assert callback.diagnosis.top in {"diverged", "lr_too_high", "not_learning"}


def test_the_lr_probe_runs_at_fit_start_and_feeds_the_recommendation(tmp_path) -> None:
    callback = AdvisorCallback(
        parse_profile(PROFILE),
        probes=("lr",),
        out_dir=tmp_path / "advisor",
        probe_options={"lr": {"steps": 30}},
    )
    _trainer(tmp_path, callback, epochs=1).fit(Classifier(), _data(), _data(64))
    rec = callback.recommendation
    assert rec.probes["lr_range"]["suggested_lr"] > 0
    assert any(e.rule.startswith("probe.lr.") for e in rec.explanations["learning_rate"])
